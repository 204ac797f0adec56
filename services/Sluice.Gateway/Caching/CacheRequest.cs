using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Sluice.Gateway.Definitions;
using Sluice.Gateway.Pipeline;
using Sluice.Gateway.Storage;

namespace Sluice.Gateway.Caching;

internal enum CacheControlOutcome
{
    /// <summary>No "Cache-Control: max-age=0": a cached response may answer.</summary>
    UseCache,

    /// <summary>A permitted max-age=0: call the integration and replace the cached entry.</summary>
    Refresh,

    /// <summary>An unpermitted max-age=0 under FAIL_WITH_403.</summary>
    Denied,

    /// <summary>An unpermitted max-age=0 ignored, with a Warning header (SUCCEED_WITH_RESPONSE_HEADER).</summary>
    IgnoredWithWarning,
}

/// <summary>A request's cache key and what its Cache-Control header asks for, by API Gateway's rules.</summary>
internal static class CacheRequest
{
    public const string IgnoredWarning = "199 Cache-control headers were ignored because the caller was unauthorized.";

    /// <summary>The method plus each cacheKeyParameter's value; parameters not listed do not split the cache.</summary>
    public static string Key(MethodDefinition method, RequestContext context)
    {
        var key = new StringBuilder(method.ThrottleKey);
        foreach (var name in method.Integration.CacheKeyParameters ?? [])
        {
            var value = ParameterSources.Resolve(name, context);
            key.Append('\u001f').Append(name).Append(value is null ? "\u001e" : "=" + value);
        }
        return key.ToString();
    }

    /// <summary>
    /// "Cache-Control: max-age=0" refreshes the entry when authorization is not required, or when
    /// the caller's API key is one of the stage's invalidators; otherwise the stage's strategy applies.
    /// </summary>
    public static CacheControlOutcome Read(HttpRequest request, StageCacheSettings cache, State.GatewayState? keys, string presentedKey)
    {
        if (!CacheControlHeaderValue.TryParse(request.Headers.CacheControl.ToString(), out var control) || control?.MaxAge != TimeSpan.Zero)
        {
            return CacheControlOutcome.UseCache;
        }
        if (!cache.RequireAuthorization || keys?.FindKey(presentedKey) is { Enabled: true } key && cache.InvalidatorKeyIds.Contains(key.Id, StringComparer.Ordinal))
        {
            return CacheControlOutcome.Refresh;
        }
        return cache.Unauthorized switch
        {
            UnauthorizedCacheControl.SucceedWithResponseHeader => CacheControlOutcome.IgnoredWithWarning,
            UnauthorizedCacheControl.SucceedWithoutResponseHeader => CacheControlOutcome.UseCache,
            _ => CacheControlOutcome.Denied,
        };
    }
}
