using Sluice.Gateway.Storage;

namespace Sluice.Gateway.Plans;

/// <summary>
/// API Gateway's throttle: a bucket that holds up to <c>burst</c> tokens and refills at
/// <c>rate</c> tokens per second; each request takes one. Starts full, so a quiet caller may
/// send a burst at once. Time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// Every request of a key, stage or account passes its bucket, so a lock here is where concurrent
/// requests queue. The bucket is therefore kept as one number updated by compare-and-swap (the
/// generic cell rate algorithm): the time at which it will be full again. Taking a token pushes
/// that time one refill interval later; a take that would push it more than a whole bucket
/// (<c>burst</c> intervals) past now finds the bucket empty.
/// </remarks>
internal sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly long _interval;
    private readonly long _capacity;
    private long _fullAt;
    private int _neverRefilled;

    public TokenBucket(ThrottleLimit limit, TimeProvider time)
    {
        Limit = limit;
        _time = time;
        _fullAt = time.GetTimestamp();
        if (limit.Rate > 0)
        {
            _interval = Math.Max(1, (long)Math.Round(time.TimestampFrequency / limit.Rate));
            _capacity = limit.Burst <= 0 ? 0 : _interval > long.MaxValue / 4 / limit.Burst ? long.MaxValue / 4 : _interval * limit.Burst;
        }
        else
        {
            // No refill: the burst is all there ever is.
            _neverRefilled = Math.Max(0, limit.Burst);
        }
    }

    public ThrottleLimit Limit { get; }

    public bool TryTake()
    {
        if (Limit.Rate <= 0)
        {
            return Interlocked.Decrement(ref _neverRefilled) >= 0 || Undo();
        }
        var now = _time.GetTimestamp();
        while (true)
        {
            var fullAt = Volatile.Read(ref _fullAt);
            var taken = Math.Max(fullAt, now) + _interval;
            if (taken - now > _capacity)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _fullAt, taken, fullAt) == fullAt)
            {
                return true;
            }
        }
    }

    // Keeps the count from drifting below zero when an empty bucket is asked again and again.
    private bool Undo()
    {
        Interlocked.Increment(ref _neverRefilled);
        return false;
    }
}
