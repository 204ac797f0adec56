using System.Text.RegularExpressions;
using Sluice.Gateway.Definitions;
using Sluice.Gateway.Storage;
using Proto = Sluice.Gateway.V1;

namespace Sluice.Gateway.Caching;

/// <summary>The stage cache's settings: limits, the proto mapping, and which methods cache for how long.</summary>
internal static partial class StageCacheRules
{
    public const long MinCapacityBytes = 1024;
    public const long MaxCapacityBytes = 1024L * 1024 * 1024;
    public const int MaxTtlSeconds = 3600;
    public const int MaxInvalidators = 100;

    /// <summary>API Gateway's default TTL for a stage whose cache is turned on without method settings.</summary>
    public const int DefaultTtlSeconds = 300;

    /// <summary>API Gateway's cacheClusterSize values (GB), smallest first; "0.5" when none is given.</summary>
    public static readonly IReadOnlyList<string> ClusterSizes = ["0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"];

    /// <summary>
    /// The stage cache after API Gateway's cacheClusterEnabled and cacheClusterSize (null: unchanged).
    /// A gateway keeps a stage's cache in its own memory, so a cluster size is the capacity up to
    /// <see cref="MaxCapacityBytes"/>; other settings (TTL, method settings) are kept.
    /// </summary>
    public static StageCacheSettings? WithCluster(StageCacheSettings? cache, bool? enabled, string? size)
    {
        if (size is not null && !ClusterSizes.Contains(size))
        {
            throw new GatewayArgumentException("cacheClusterSize", $"Invalid cache cluster size '{size}': it must be one of {string.Join(", ", ClusterSizes)} (GB).");
        }
        if (enabled is null && size is null)
        {
            return cache;
        }
        if (cache is null)
        {
            size ??= ClusterSizes[0];
            cache = new StageCacheSettings(false, 0, DefaultTtlSeconds, new Dictionary<string, MethodCacheSetting>(), true,
                UnauthorizedCacheControl.SucceedWithResponseHeader, []);
        }
        if (size is not null)
        {
            var bytes = (long)(double.Parse(size, System.Globalization.CultureInfo.InvariantCulture) * 1024 * 1024 * 1024);
            cache = cache with { ClusterSize = size, CapacityBytes = Math.Min(bytes, MaxCapacityBytes) };
        }
        return enabled is { } on ? cache with { Enabled = on } : cache;
    }

    /// <summary>The cacheClusterSize a stage reports: the size set, else the smallest that holds its capacity.</summary>
    public static string ClusterSizeOf(StageCacheSettings cache) => cache.ClusterSize
        ?? ClusterSizes.First(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture) * 1024 * 1024 * 1024 >= cache.CapacityBytes);

    public static void Check(StageCacheSettings cache)
    {
        if (!cache.Enabled)
        {
            return;
        }
        if (cache.CapacityBytes is < MinCapacityBytes or > MaxCapacityBytes)
        {
            throw new GatewayArgumentException("cache.capacity_bytes", $"cache.capacity_bytes must be from {MinCapacityBytes} bytes to 1 GiB; {cache.CapacityBytes} is out of range.");
        }
        if (cache.TtlSeconds is < 0 or > MaxTtlSeconds)
        {
            throw new GatewayArgumentException("cache.ttl_seconds", $"cache.ttl_seconds must be from 0 to {MaxTtlSeconds}; {cache.TtlSeconds} is out of range.");
        }
        foreach (var (key, setting) in cache.Methods)
        {
            if (key != "*/*" && !MethodKey().IsMatch(key))
            {
                throw new GatewayArgumentException("cache.method_settings", $"'{key}' is not a method key such as /pets/{{petId}}/GET or */*.");
            }
            if (setting.TtlSeconds is < 0 or > MaxTtlSeconds)
            {
                throw new GatewayArgumentException("cache.method_settings", $"Method '{key}': a cache TTL is from 0 to {MaxTtlSeconds} seconds.");
            }
        }
        if (cache.InvalidatorKeyIds.Count > MaxInvalidators || cache.InvalidatorKeyIds.Any(string.IsNullOrWhiteSpace))
        {
            throw new GatewayArgumentException("cache.invalidator_key_ids", $"Up to {MaxInvalidators} non-empty API key ids may invalidate the cache.");
        }
    }

    /// <summary>The TTL this method's responses are cached for, or null when the method does not cache.</summary>
    public static TimeSpan? TtlFor(StageCacheSettings? cache, MethodDefinition method)
    {
        if (cache is not { Enabled: true })
        {
            return null;
        }
        int ttl;
        if (cache.Methods.TryGetValue(method.ThrottleKey, out var setting) || cache.Methods.TryGetValue("*/*", out setting))
        {
            ttl = setting.Enabled ? (setting.TtlSeconds > 0 ? setting.TtlSeconds : cache.TtlSeconds) : 0;
        }
        else
        {
            // As API Gateway: only GET methods cache unless a method setting enables another.
            ttl = string.Equals(method.HttpMethod, "GET", StringComparison.OrdinalIgnoreCase) ? cache.TtlSeconds : 0;
        }
        return ttl > 0 ? TimeSpan.FromSeconds(ttl) : null;
    }

    public static StageCacheSettings FromProto(Proto.StageCacheSettings proto) => new(
        proto.Enabled,
        proto.CapacityBytes,
        proto.TtlSeconds,
        proto.MethodSettings.ToDictionary(m => m.Key, m => new MethodCacheSetting(m.Value.CachingEnabled, m.Value.TtlSeconds), StringComparer.Ordinal),
        proto.RequireAuthorizationForCacheControl,
        proto.UnauthorizedStrategy switch
        {
            Proto.UnauthorizedCacheControlStrategy.SucceedWithResponseHeader => UnauthorizedCacheControl.SucceedWithResponseHeader,
            Proto.UnauthorizedCacheControlStrategy.SucceedWithoutResponseHeader => UnauthorizedCacheControl.SucceedWithoutResponseHeader,
            _ => UnauthorizedCacheControl.FailWith403,
        },
        [.. proto.InvalidatorKeyIds]);

    public static Proto.StageCacheSettings ToProto(StageCacheSettings cache)
    {
        var proto = new Proto.StageCacheSettings
        {
            Enabled = cache.Enabled,
            CapacityBytes = cache.CapacityBytes,
            TtlSeconds = cache.TtlSeconds,
            RequireAuthorizationForCacheControl = cache.RequireAuthorization,
            UnauthorizedStrategy = cache.Unauthorized switch
            {
                UnauthorizedCacheControl.SucceedWithResponseHeader => Proto.UnauthorizedCacheControlStrategy.SucceedWithResponseHeader,
                UnauthorizedCacheControl.SucceedWithoutResponseHeader => Proto.UnauthorizedCacheControlStrategy.SucceedWithoutResponseHeader,
                _ => Proto.UnauthorizedCacheControlStrategy.FailWith403,
            },
        };
        foreach (var (key, setting) in cache.Methods)
        {
            proto.MethodSettings[key] = new Proto.MethodCacheSettings { CachingEnabled = setting.Enabled, TtlSeconds = setting.TtlSeconds };
        }
        proto.InvalidatorKeyIds.AddRange(cache.InvalidatorKeyIds);
        return proto;
    }

    [GeneratedRegex(@"^/\S{0,1024}/([A-Z]{3,7}|\*)$")]
    private static partial Regex MethodKey();
}
