using Sluice.Gateway.Storage;

namespace Sluice.Gateway.Plans;

/// <summary>
/// API Gateway's throttle: a bucket that holds up to <c>burst</c> tokens and refills at
/// <c>rate</c> tokens per second; each request takes one. Starts full, so a quiet caller may
/// send a burst at once. Time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class TokenBucket(ThrottleLimit limit, TimeProvider time)
{
    private readonly Lock _sync = new();
    private double _tokens = limit.Burst;
    private long _last = time.GetTimestamp();

    public ThrottleLimit Limit { get; } = limit;

    public bool TryTake()
    {
        lock (_sync)
        {
            var now = time.GetTimestamp();
            var elapsed = time.GetElapsedTime(_last, now).TotalSeconds;
            _last = now;
            _tokens = Math.Min(Limit.Burst, _tokens + (elapsed * Limit.Rate));
            if (_tokens < 1)
            {
                return false;
            }
            _tokens -= 1;
            return true;
        }
    }
}
