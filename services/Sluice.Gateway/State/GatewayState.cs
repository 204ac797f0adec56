using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Sluice.Gateway.Caching;
using Sluice.Gateway.Definitions;
using Sluice.Gateway.Plans;
using Sluice.Gateway.Storage;

namespace Sluice.Gateway.State;

/// <summary>
/// The gateway's state and every change to it: each change is checked, written to the store,
/// and then published as a new <see cref="GatewaySnapshot"/>. Changes run one at a time; a
/// rejected change leaves the store and the snapshot as they were.
/// </summary>
internal sealed partial class GatewayState(IGatewayStore store, UsageMeter usage, StageCache cache, TimeProvider time, ILogger<GatewayState> logger)
{
    /// <summary>API Gateway asks for key values of at least 20 characters.</summary>
    public const int MinKeyLength = 20, MaxKeyLength = 128;

    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly Dictionary<string, ApiDefinition> _definitions = new(StringComparer.Ordinal);
    private volatile GatewaySnapshot _snapshot = GatewaySnapshot.Empty;
    private long _loadedVersion = -1;

    public GatewaySnapshot Snapshot => _snapshot;

    public IGatewayStore Store => store;

    /// <summary>Creates or migrates the store's schema and loads what it holds.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await ChangeAsync(() => Task.CompletedTask, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reloads when the store changed since the last load (another gateway sharing it made a
    /// change), and forgets the quota counts either way: each is seeded again from the store at
    /// its next request, so it includes what the other gateways admitted meanwhile.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (await store.GetChangeVersionAsync(cancellationToken).ConfigureAwait(false) != Interlocked.Read(ref _loadedVersion))
        {
            await ChangeAsync(() => Task.CompletedTask, cancellationToken).ConfigureAwait(false);
        }
        usage.ForgetAll();
    }

    /// <summary>The SHA-256 of a key value, hex: what is stored and looked up.</summary>
    public static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));

    /// <summary>
    /// The enabled or disabled key whose value is <paramref name="value"/>: a value seen before is
    /// found in the snapshot's <see cref="PresentedKeyCache"/>; a new one is hashed and its hash
    /// compared in constant time.
    /// </summary>
    public ApiKeyRecord? FindKey(string value)
    {
        var snapshot = _snapshot;
        if (snapshot.PresentedKeys.TryGet(value, out var known))
        {
            return known;
        }
        // Hashed and looked up on the stack, with no allocation.
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var length = Encoding.UTF8.GetByteCount(value);
        var rented = length > 256 ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
        try
        {
            Span<byte> utf8 = rented is null ? stackalloc byte[256] : rented;
            SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(value, utf8)], hash);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
        Span<char> hex = stackalloc char[SHA256.HashSizeInBytes * 2];
        Convert.TryToHexString(hash, hex, out _);
        if (!snapshot.KeysByHash.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(hex, out var key) || !CryptographicOperations.FixedTimeEquals(hash, key.ValueHash))
        {
            return null;
        }
        snapshot.PresentedKeys.Remember(value, key);
        return key;
    }

    public async Task<(ApiRecord Api, ApiDefinition Definition)> ImportApiAsync(string? apiId, string document, CancellationToken cancellationToken)
    {
        var id = apiId ?? NewId(10);
        if (!IdPattern().IsMatch(id))
        {
            throw new GatewayArgumentException("api_id", $"'{id}' is not an API id (letters, digits, '-' and '_', up to 64).");
        }
        var definition = await ApiDocumentReader.ReadAsync(id, document, cancellationToken).ConfigureAwait(false);
        ApiRecord? record = null;
        await ChangeAsync(async () =>
        {
            var existing = (await store.ListApisAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(a => a.Id == id);
            record = new ApiRecord(id, definition.Name, definition.Version, document, existing?.CreatedUnixMs ?? Now());
            await store.SaveApiAsync(record, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return (record!, definition);
    }

    public async Task<ApiRecord> PutApiAsync(string apiId, string document, CancellationToken cancellationToken)
    {
        var apis = await store.ListApisAsync(cancellationToken).ConfigureAwait(false);
        if (apis.All(a => a.Id != apiId))
        {
            throw new GatewayNotFoundException($"No API with id '{apiId}'.");
        }
        return (await ImportApiAsync(apiId, document, cancellationToken).ConfigureAwait(false)).Api;
    }

    public Task DeleteApiAsync(string apiId, CancellationToken cancellationToken) => ChangeAsync(async () =>
    {
        if (!await store.DeleteApiAsync(apiId, cancellationToken).ConfigureAwait(false))
        {
            throw new GatewayNotFoundException($"No API with id '{apiId}'.");
        }
    }, cancellationToken);

    public async Task<(ApiKeyRecord Key, string Value)> CreateKeyAsync(string name, string description, bool enabled, string? value, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 128)
        {
            throw new GatewayArgumentException("name", "A key needs a name of 1 to 128 characters.");
        }
        if (string.IsNullOrEmpty(value))
        {
            value = NewId(40, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
        }
        else if (value.Length is < MinKeyLength or > MaxKeyLength || value.Any(c => c is < '!' or > '~'))
        {
            throw new GatewayArgumentException("value", $"A key value has {MinKeyLength} to {MaxKeyLength} printable ASCII characters without spaces.");
        }
        var key = new ApiKeyRecord(NewId(10), name, description ?? "", enabled, Hash(value), value[..4], Now());
        await ChangeAsync(() => store.SaveKeyAsync(key, cancellationToken), cancellationToken).ConfigureAwait(false);
        return (key, value);
    }

    public Task<ApiKeyRecord> SetKeyEnabledAsync(string keyId, bool enabled, CancellationToken cancellationToken) =>
        UpdateKeyAsync(keyId, null, null, enabled, cancellationToken);

    /// <summary>Changes a key's name, description or state (null: unchanged); all or nothing.</summary>
    public async Task<ApiKeyRecord> UpdateKeyAsync(string keyId, string? name, string? description, bool? enabled, CancellationToken cancellationToken)
    {
        if (name is not null && (string.IsNullOrWhiteSpace(name) || name.Length > 128))
        {
            throw new GatewayArgumentException("name", "A key needs a name of 1 to 128 characters.");
        }
        if (description is { Length: > 1024 })
        {
            throw new GatewayArgumentException("description", "A key's description has at most 1024 characters.");
        }
        ApiKeyRecord? key = null;
        await ChangeAsync(async () =>
        {
            key = (await store.ListKeysAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(k => k.Id == keyId)
                ?? throw new GatewayNotFoundException($"No API key with id '{keyId}'.");
            key = key with { Name = name ?? key.Name, Description = description ?? key.Description, Enabled = enabled ?? key.Enabled };
            await store.SaveKeyAsync(key, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return key!;
    }

    public Task DeleteKeyAsync(string keyId, CancellationToken cancellationToken) => ChangeAsync(async () =>
    {
        if (!await store.DeleteKeyAsync(keyId, cancellationToken).ConfigureAwait(false))
        {
            throw new GatewayNotFoundException($"No API key with id '{keyId}'.");
        }
    }, cancellationToken);

    public async Task<UsagePlanRecord> CreatePlanAsync(string name, string description, ThrottleLimit? throttle, QuotaLimit? quota,
        IReadOnlyList<PlanApiStage> apiStages, CancellationToken cancellationToken, string? planId = null)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 128)
        {
            throw new GatewayArgumentException("name", "A usage plan needs a name of 1 to 128 characters.");
        }
        if (throttle is not null)
        {
            CheckThrottle("throttle", throttle);
        }
        if (quota is not null && (quota.Limit <= 0 || quota.Offset < 0 || quota.Offset >= quota.Limit))
        {
            throw new GatewayArgumentException("quota", "A quota's limit must be positive and its offset from 0 to limit - 1.");
        }
        foreach (var stage in apiStages)
        {
            foreach (var (key, limit) in stage.MethodThrottles)
            {
                if (!MethodKey().IsMatch(key))
                {
                    throw new GatewayArgumentException("api_stages.throttle", $"'{key}' is not a method key like /pets/GET.");
                }
                CheckThrottle("api_stages.throttle[" + key + "]", limit);
            }
        }
        var plan = new UsagePlanRecord(planId ?? NewId(6), name, description ?? "", throttle, quota, apiStages, [], Now());
        await ChangeAsync(async () =>
        {
            var stages = await store.ListStagesAsync(cancellationToken).ConfigureAwait(false);
            foreach (var stage in apiStages)
            {
                if (!stages.Any(s => s.ApiId == stage.ApiId && s.StageName == stage.Stage))
                {
                    throw new GatewayNotFoundException($"No stage '{stage.Stage}' of API '{stage.ApiId}'.");
                }
            }
            var existing = (await store.ListPlansAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(p => p.Id == plan.Id);
            if (existing is not null)
            {
                plan = plan with { KeyIds = existing.KeyIds, CreatedUnixMs = existing.CreatedUnixMs };
            }
            await store.SavePlanAsync(plan, cancellationToken).ConfigureAwait(false);
            usage.Forget(plan.Id);
        }, cancellationToken).ConfigureAwait(false);
        return plan;
    }

    public Task DeletePlanAsync(string planId, CancellationToken cancellationToken) => ChangeAsync(async () =>
    {
        if (!await store.DeletePlanAsync(planId, cancellationToken).ConfigureAwait(false))
        {
            throw new GatewayNotFoundException($"No usage plan with id '{planId}'.");
        }
        usage.Forget(planId);
    }, cancellationToken);

    public Task AddPlanKeyAsync(string planId, string keyId, CancellationToken cancellationToken) => ChangeAsync(async () =>
    {
        var plans = await store.ListPlansAsync(cancellationToken).ConfigureAwait(false);
        var plan = plans.FirstOrDefault(p => p.Id == planId) ?? throw new GatewayNotFoundException($"No usage plan with id '{planId}'.");
        if ((await store.ListKeysAsync(cancellationToken).ConfigureAwait(false)).All(k => k.Id != keyId))
        {
            throw new GatewayNotFoundException($"No API key with id '{keyId}'.");
        }
        if (plan.KeyIds.Contains(keyId))
        {
            throw new GatewayConflictException($"The key '{keyId}' is already in usage plan '{planId}'.");
        }
        var clash = plans.FirstOrDefault(p => p.Id != planId && p.KeyIds.Contains(keyId)
            && p.ApiStages.Any(s => plan.ApiStages.Any(t => t.ApiId == s.ApiId && t.Stage == s.Stage)));
        if (clash is not null)
        {
            throw new GatewayConflictException($"The key '{keyId}' is already in usage plan '{clash.Id}', which covers a stage of this plan.");
        }
        await store.SavePlanAsync(plan with { KeyIds = [.. plan.KeyIds, keyId] }, cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    public Task RemovePlanKeyAsync(string planId, string keyId, CancellationToken cancellationToken) => ChangeAsync(async () =>
    {
        var plan = (await store.ListPlansAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(p => p.Id == planId)
            ?? throw new GatewayNotFoundException($"No usage plan with id '{planId}'.");
        if (!plan.KeyIds.Contains(keyId))
        {
            throw new GatewayNotFoundException($"The key '{keyId}' is not in usage plan '{planId}'.");
        }
        await store.SavePlanAsync(plan with { KeyIds = [.. plan.KeyIds.Where(k => k != keyId)] }, cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    /// <summary>Usage per key per day, with what the quota had left at the end of each day.</summary>
    public async Task<(UsagePlanRecord Plan, IReadOnlyList<(string KeyId, IReadOnlyList<(DateOnly Day, long Used, long Remaining)> Days)> Items)> GetUsageAsync(
        string planId, DateOnly from, DateOnly to, string? keyId, CancellationToken cancellationToken)
    {
        if (to < from || to.DayNumber - from.DayNumber > 366)
        {
            throw new GatewayArgumentException("end_date", "The end date must be on or after the start date, at most 366 days later.");
        }
        var plan = (await store.ListPlansAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(p => p.Id == planId)
            ?? throw new GatewayNotFoundException($"No usage plan with id '{planId}'.");
        await usage.FlushAsync(cancellationToken).ConfigureAwait(false);
        // Read from the start of the first period so "remaining" counts the whole period.
        var readFrom = plan.Quota is { } q ? QuotaPeriods.Start(q.Period, from) : from;
        var records = await store.GetUsageAsync(planId, readFrom, to, cancellationToken).ConfigureAwait(false);
        var items = new List<(string, IReadOnlyList<(DateOnly, long, long)>)>();
        foreach (var group in records.Where(r => keyId is null || r.KeyId == keyId).GroupBy(r => r.KeyId))
        {
            var days = new List<(DateOnly, long, long)>();
            foreach (var record in group.Where(r => r.Day >= from))
            {
                var remaining = -1L;
                if (plan.Quota is { } quota)
                {
                    var start = QuotaPeriods.Start(quota.Period, record.Day);
                    var usedInPeriod = group.Where(r => r.Day >= start && r.Day <= record.Day).Sum(r => r.Used);
                    remaining = Math.Max(0, QuotaPeriods.LimitFor(plan, quota, start) - usedInPeriod);
                }
                days.Add((record.Day, record.Used, remaining));
            }
            items.Add((group.Key, days));
        }
        return (plan, items);
    }

    private static void CheckVariables(IReadOnlyDictionary<string, string> variables)
    {
        foreach (var (name, value) in variables)
        {
            if (!StageVariableName().IsMatch(name) || value.Length > 512)
            {
                throw new GatewayArgumentException("variables", $"Stage variable '{name}': names are letters, digits and '_' (up to 64), values up to 512 characters.");
            }
        }
    }

    private static void CheckThrottle(string field, ThrottleLimit limit)
    {
        if (!(limit.Rate > 0) || double.IsInfinity(limit.Rate) || limit.Burst < 0)
        {
            throw new GatewayArgumentException(field, "A throttle's rate must be positive and its burst zero or more.");
        }
    }

    private async Task ChangeAsync(Func<Task> change, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await change().ConfigureAwait(false);
            await ReloadAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _changes.Release();
        }
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        // Read first: a change landing during the reload then leaves the version behind, so the next refresh reloads again.
        var version = await store.GetChangeVersionAsync(cancellationToken).ConfigureAwait(false);
        var stages = new Dictionary<(string, string), DeployedStage>();
        foreach (var stage in await store.ListStagesAsync(cancellationToken).ConfigureAwait(false))
        {
            var cacheKey = stage.ApiId + "/" + stage.DeploymentId;
            if (!_definitions.TryGetValue(cacheKey, out var definition))
            {
                try
                {
                    definition = await ApiDocumentReader.ReadAsync(stage.ApiId, stage.Document, cancellationToken).ConfigureAwait(false);
                }
                catch (ApiDocumentException exception)
                {
                    GatewayLog.StageUnreadable(logger, stage.ApiId, stage.StageName, exception);
                    continue;
                }
                _definitions[cacheKey] = definition;
            }
            stages[(stage.ApiId, stage.StageName)] = new DeployedStage(definition, stage, new RouteTable(definition.Methods));
        }
        var keys = (await store.ListKeysAsync(cancellationToken).ConfigureAwait(false)).ToFrozenDictionary(k => Convert.ToHexString(k.ValueHash), StringComparer.Ordinal);
        var plans = new Dictionary<(string, string, string), UsagePlanRecord>();
        foreach (var plan in await store.ListPlansAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var stage in plan.ApiStages)
            {
                foreach (var keyId in plan.KeyIds)
                {
                    plans.TryAdd((stage.ApiId, stage.Stage, keyId), plan);
                }
            }
        }
        _snapshot = new GatewaySnapshot(stages.ToFrozenDictionary(), keys, plans.ToFrozenDictionary());
        Interlocked.Exchange(ref _loadedVersion, version);
        cache.Retain(stages.ToDictionary(s => s.Key, s => CacheScope.Of(s.Value.Stage)));
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static string NewId(int length, string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789") =>
        RandomNumberGenerator.GetString(alphabet, length);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$")]
    private static partial Regex StagePattern();

    [GeneratedRegex("^[A-Za-z0-9_]{1,64}$")]
    private static partial Regex StageVariableName();

    [GeneratedRegex(@"^(/[^/\s]*)+/[A-Z*]+$|^\*/\*$")]
    private static partial Regex MethodKey();
}
