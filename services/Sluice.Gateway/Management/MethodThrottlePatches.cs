using Sluice.Gateway.Storage;

namespace Sluice.Gateway.Management;

/// <summary>
/// Per-method throttles changed by patch operations, as update-stage
/// (<c>/{resourcePath}/{httpMethod}/throttling/rateLimit</c>) and update-usage-plan
/// (<c>/apiStages/{apiId}:{stage}/throttle/{resourcePath}/{httpMethod}/rateLimit</c>) write them.
/// A throttle is a rate and a burst together: a new one needs both set in the same call, and
/// removing either removes the method's throttle.
/// </summary>
internal sealed class MethodThrottlePatches(IReadOnlyDictionary<string, ThrottleLimit> stored)
{
    private static readonly HashSet<string> Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY", "*"];

    private readonly Dictionary<string, (double? Rate, int? Burst)> _limits =
        stored.ToDictionary(p => p.Key, p => ((double?)p.Value.Rate, (int?)p.Value.Burst), StringComparer.Ordinal);

    /// <summary>
    /// The stored method key ("/pets/{petId}/GET", or "*/*" for every method) of a patch path's
    /// resource and method segments: the path with '/' written "~1" (and '~' "~0"), as JSON Pointer and AWS write them.
    /// </summary>
    public static string MethodKey(string resourcePath, string httpMethod)
    {
        if (resourcePath == "*" && httpMethod == "*")
        {
            return "*/*";
        }
        if (!resourcePath.StartsWith("~1", StringComparison.Ordinal))
        {
            throw ManagementError.BadRequest(
                $"'{resourcePath}' is not a resource path: write it with each '/' as ~1 (e.g. ~1pets~1{{petId}} for /pets/{{petId}}), or */* for every method.");
        }
        var method = httpMethod.ToUpperInvariant();
        if (!Methods.Contains(method))
        {
            throw ManagementError.BadRequest($"'{httpMethod}' is not an HTTP method: use one of {string.Join(", ", Methods)}.");
        }
        return resourcePath.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal) + "/" + method;
    }

    /// <summary>Applies a replace or remove of <paramref name="limit"/> ("rateLimit" or "burstLimit") to the method's throttle.</summary>
    public void Apply(string methodKey, string limit, PatchOperation patch)
    {
        if (patch.Op == "remove")
        {
            _limits.Remove(methodKey);
            return;
        }
        _limits.TryGetValue(methodKey, out var current);
        _limits[methodKey] = limit == "rateLimit"
            ? (ManagementRequest.ParseDouble(patch.Path, patch.RequiredValue), current.Burst)
            : (current.Rate, ManagementRequest.ParseInt(patch.Path, patch.RequiredValue, 0, int.MaxValue));
    }

    /// <summary>The throttles after the patches; a method with only a rate or only a burst is refused.</summary>
    public Dictionary<string, ThrottleLimit> Result()
    {
        var result = new Dictionary<string, ThrottleLimit>(StringComparer.Ordinal);
        foreach (var (key, (rate, burst)) in _limits)
        {
            if (rate is not { } r || burst is not { } b)
            {
                throw ManagementError.BadRequest($"The throttle of {key} needs both rateLimit and burstLimit: set the missing one in the same call.");
            }
            result[key] = new ThrottleLimit(r, b);
        }
        return result;
    }
}
