namespace Sluice.Gateway.Storage;

/// <summary>An imported API: its document as given.</summary>
internal sealed record ApiRecord(string Id, string Name, string Version, string Document, long CreatedUnixMs);

/// <summary>A deployment: a snapshot of an API's document, which stages serve until pointed at another.</summary>
internal sealed record DeploymentRecord(string ApiId, string Id, string Description, string Document, long CreatedUnixMs);

/// <summary>
/// A stage: the deployment it serves (with a copy of that deployment's document, so a request
/// never needs a second lookup) and its settings. <see cref="CacheFlushes"/> counts the flushes
/// of its cache; the store alone increments it (a stage write keeps the stored count), so every
/// gateway sharing the store sees a flush as a new count and drops its copy of the cache.
/// </summary>
internal sealed record StageRecord(
    string ApiId,
    string StageName,
    string DeploymentId,
    string Document,
    IReadOnlyDictionary<string, string> Variables,
    IReadOnlyDictionary<string, ThrottleLimit> MethodThrottles,
    long CreatedUnixMs,
    StageCacheSettings? Cache = null,
    StageAccessLogSettings? AccessLog = null,
    string Description = "",
    long CacheFlushes = 0);

/// <summary>A stage's own access log: a $context format written to <see cref="DestinationArn"/> (a file, see AccessLogDestinations).</summary>
internal sealed record StageAccessLogSettings(string Format, string DestinationArn);

internal enum UnauthorizedCacheControl
{
    FailWith403,
    SucceedWithResponseHeader,
    SucceedWithoutResponseHeader,
}

/// <summary>A method's cache override, keyed like "/pets/GET"; a zero TTL takes the stage's.</summary>
internal sealed record MethodCacheSetting(bool Enabled, int TtlSeconds);

/// <summary>
/// The stage cache: up to <see cref="CapacityBytes"/> of integration responses, GET methods cached for
/// <see cref="TtlSeconds"/> unless a method setting says otherwise. <see cref="ClusterSize"/> is
/// API Gateway's cacheClusterSize ("0.5" to "237" GB) when set through the management API.
/// </summary>
internal sealed record StageCacheSettings(
    bool Enabled,
    long CapacityBytes,
    int TtlSeconds,
    IReadOnlyDictionary<string, MethodCacheSetting> Methods,
    bool RequireAuthorization,
    UnauthorizedCacheControl Unauthorized,
    IReadOnlyList<string> InvalidatorKeyIds,
    string? ClusterSize = null);

/// <summary>An API key: only the SHA-256 of its value is kept.</summary>
internal sealed record ApiKeyRecord(string Id, string Name, string Description, bool Enabled, byte[] ValueHash, string ValuePrefix, long CreatedUnixMs);

/// <summary>A token bucket's settings: refills at <see cref="Rate"/> per second, holds up to <see cref="Burst"/>.</summary>
internal sealed record ThrottleLimit(double Rate, int Burst);

internal enum QuotaPeriodKind
{
    Day,
    Week,
    Month,
}

/// <summary>A quota: <see cref="Limit"/> requests per period, <see cref="Offset"/> of them taken from the initial period.</summary>
internal sealed record QuotaLimit(int Limit, int Offset, QuotaPeriodKind Period);

/// <summary>An API stage a plan covers, with per-method throttles keyed like "/pets/GET".</summary>
internal sealed record PlanApiStage(string ApiId, string Stage, IReadOnlyDictionary<string, ThrottleLimit> MethodThrottles);

internal sealed record UsagePlanRecord(
    string Id,
    string Name,
    string Description,
    ThrottleLimit? Throttle,
    QuotaLimit? Quota,
    IReadOnlyList<PlanApiStage> ApiStages,
    IReadOnlyList<string> KeyIds,
    long CreatedUnixMs);

/// <summary>Requests counted for one key under one plan on one UTC day.</summary>
internal sealed record UsageRecord(string PlanId, string KeyId, DateOnly Day, long Used);
