namespace Sluice.Grpc.Protocol;

/// <summary>
/// grpc-timeout: at most 8 ASCII digits followed by a unit (H, M, S, m, u, n), PROTOCOL-HTTP2 "Requests".
/// </summary>
internal static class GrpcTimeout
{
    /// <summary>
    /// The longest timeout honoured. Timers cannot run longer than about 49.7 days
    /// (CancelAfter throws above uint.MaxValue - 1 ms), and a client may send 99999999H, so longer
    /// timeouts are clamped: such a deadline is "effectively none".
    /// </summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(30);

    public static bool TryParse(string? value, out TimeSpan timeout)
    {
        timeout = default;
        if (string.IsNullOrEmpty(value) || value.Length < 2 || value.Length > 9)
        {
            return false;
        }
        long amount = 0;
        for (var i = 0; i < value.Length - 1; i++)
        {
            var c = value[i];
            if (c is < '0' or > '9')
            {
                return false;
            }
            amount = (amount * 10) + (c - '0');
        }
        double ticks = value[^1] switch
        {
            'H' => amount * (double)TimeSpan.TicksPerHour,
            'M' => amount * (double)TimeSpan.TicksPerMinute,
            'S' => amount * (double)TimeSpan.TicksPerSecond,
            'm' => amount * (double)TimeSpan.TicksPerMillisecond,
            'u' => amount * (double)TimeSpan.TicksPerMicrosecond,
            'n' => amount / 100.0,
            _ => -1,
        };
        if (ticks < 0)
        {
            return false;
        }
        timeout = ticks >= Max.Ticks ? Max : TimeSpan.FromTicks((long)Math.Ceiling(ticks));
        return true;
    }

    /// <summary>Formats a timeout with the finest unit that fits in 8 digits.</summary>
    public static string Format(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return "1n";
        }
        var ticks = timeout.Ticks;
        const long limit = 99_999_999;
        if (ticks / 10 <= limit && ticks % 10 == 0)
        {
            return (ticks / 10) + "u";
        }
        var millis = (long)Math.Ceiling(timeout.TotalMilliseconds);
        if (millis <= limit)
        {
            return millis + "m";
        }
        var seconds = (long)Math.Ceiling(timeout.TotalSeconds);
        if (seconds <= limit)
        {
            return seconds + "S";
        }
        var minutes = (long)Math.Ceiling(timeout.TotalMinutes);
        if (minutes <= limit)
        {
            return minutes + "M";
        }
        return Math.Min((long)Math.Ceiling(timeout.TotalHours), limit) + "H";
    }
}
