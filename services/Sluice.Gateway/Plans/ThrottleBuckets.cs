using System.Collections.Concurrent;
using Sluice.Gateway.Storage;

namespace Sluice.Gateway.Plans;

/// <summary>
/// Every token bucket the gateway keeps, by scope. A bucket's key includes its limits, so a plan
/// or stage whose limits change starts a fresh bucket.
/// </summary>
internal sealed class ThrottleBuckets(TimeProvider time)
{
    private readonly ConcurrentDictionary<(ThrottleScope Scope, ThrottleLimit Limit), TokenBucket> _buckets = new();

    /// <summary>Takes a token from the bucket of <paramref name="scope"/>; false when it is empty.</summary>
    public bool TryTake(ThrottleScope scope, ThrottleLimit limit) =>
        _buckets.GetOrAdd((scope, limit), static (key, clock) => new TokenBucket(key.Limit, clock), time).TryTake();

    /// <summary>Forgets every bucket (after state changes that could leave stale ones).</summary>
    public void Clear() => _buckets.Clear();
}

/// <summary>
/// Whose bucket: a kind (key, key-method, stage-method, account...) and the ids that name it. A
/// struct rather than a joined string, so the lookup on every request allocates nothing.
/// </summary>
internal readonly record struct ThrottleScope(string Kind, string First = "", string Second = "", string Third = "")
{
    public static readonly ThrottleScope Account = new("account");
}
