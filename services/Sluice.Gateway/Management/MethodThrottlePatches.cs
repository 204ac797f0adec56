using Sluice.Gateway.Storage;

namespace Sluice.Gateway.Management;

/// <summary>
/// Per-method throttles changed by patch operations, as update-stage
/// (<c>/{resourcePath}/{httpMethod}/throttling/rateLimit</c>) and update-usage-plan
/// (<c>/apiStages/{apiId}:{stage}/throttle/{resourcePath}/{httpMethod}/rateLimit</c>) write them.
/// A throttle is a rate and a burst together. As API Gateway does, a new method throttle given only
/// one of them takes the other from the default: the stage's "*/*" throttle when it has one, else the
/// plan's throttle (for a plan), else API Gateway's account limits (<see cref="AccountDefault"/>).
/// Removing either removes the method's throttle.
/// </summary>
internal sealed class MethodThrottlePatches(IReadOnlyDictionary<string, ThrottleLimit> stored)
{
    /// <summary>API Gateway's account-level throttle: what its get-stage shows for a method setting nothing narrower limits.</summary>
    public static readonly ThrottleLimit AccountDefault = new(10000, 5000);

    private const string EveryMethod = "*/*";

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
            return EveryMethod;
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

    /// <summary>
    /// The throttles after the patches, a limit left unset taken from <paramref name="defaults"/>, or
    /// from the "*/*" throttle (itself completed first, so methods set in the same call take from it).
    /// </summary>
    public Dictionary<string, ThrottleLimit> Result(ThrottleLimit defaults)
    {
        var result = new Dictionary<string, ThrottleLimit>(StringComparer.Ordinal);
        if (_limits.TryGetValue(EveryMethod, out var every))
        {
            defaults = result[EveryMethod] = new ThrottleLimit(every.Rate ?? defaults.Rate, every.Burst ?? defaults.Burst);
        }
        foreach (var (key, (rate, burst)) in _limits)
        {
            if (key != EveryMethod)
            {
                result[key] = new ThrottleLimit(rate ?? defaults.Rate, burst ?? defaults.Burst);
            }
        }
        return result;
    }
}
