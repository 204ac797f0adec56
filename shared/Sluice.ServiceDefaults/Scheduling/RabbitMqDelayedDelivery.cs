using System.Globalization;

namespace Sluice.ServiceDefaults;

/// <summary>
/// How delayed and scheduled sends wait on RabbitMQ without the delayed-exchange plugin: the
/// message is sent to a durable queue whose x-message-ttl is the delay and whose
/// x-dead-letter-exchange is the destination's exchange, so the broker holds it (persistent,
/// surviving a restart of every Sluice process) and moves it to the destination when it expires.
/// </summary>
/// <remarks>
/// A queue expires its messages in order only when they share one TTL, so each queue holds a
/// single delay. Delays are rounded up to two significant digits (1234 ms waits 1300 ms) to bound
/// the number of queues per destination; a message never arrives before its delay. A queue
/// nobody sends to is deleted by the broker (x-expires) once its last message has long left.
/// </remarks>
public static class RabbitMqDelayedDelivery
{
    /// <summary>The longest delay a send may ask for: 30 days (x-message-ttl takes at most 2^32-1 ms).</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(30);

    /// <summary>How long after its last declaration an unused delay queue is deleted, beyond its TTL: 10 minutes.</summary>
    public static readonly TimeSpan IdleExpiry = TimeSpan.FromMinutes(10);

    /// <summary>The wait a delay is given: at least the delay, rounded up to two significant digits of milliseconds.</summary>
    public static TimeSpan QueueDelay(TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "A delay queue holds positive delays only.");
        }
        if (delay > MaxDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, $"RabbitMQ delays are limited to {MaxDelay.TotalDays} days.");
        }
        var ms = (long)Math.Ceiling(delay.TotalMilliseconds);
        if (ms < 100)
        {
            return TimeSpan.FromMilliseconds(ms);
        }
        var step = (long)Math.Pow(10, Math.Floor(Math.Log10(ms)) - 1);
        return TimeSpan.FromMilliseconds((ms + step - 1) / step * step);
    }

    /// <summary>The queue (and its fanout exchange) holding messages for <paramref name="exchange"/> that wait <paramref name="queueDelay"/>.</summary>
    public static string QueueName(string exchange, TimeSpan queueDelay) =>
        string.Create(CultureInfo.InvariantCulture, $"{exchange}.delay-{(long)queueDelay.TotalMilliseconds}ms");
}
