using System.Net;
using System.Net.Sockets;

namespace Sluice.Tests.Shared;

/// <summary>
/// Loopback ports for servers a test starts as processes, chosen below the ephemeral range: a
/// port in that range that is free now can be taken by any outgoing connection before the server binds it.
/// </summary>
public static class LoopbackPorts
{
    /// <summary><paramref name="count"/> consecutive ports, all free right now, below the ephemeral range.</summary>
    public static int FreeBlock(int count) => FreeBase(1, [.. Enumerable.Range(0, count)]);

    /// <summary>
    /// A multiple of <paramref name="step"/> such that it plus each of <paramref name="offsets"/> is a port free right
    /// now, all below the ephemeral range (for a script that derives its ports from one base).
    /// </summary>
    public static int FreeBase(int step, IReadOnlyList<int> offsets)
    {
        var ephemeralStart = EphemeralRangeStart();
        var (lowest, highest) = (offsets.Min(), offsets.Max());
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var candidate = Random.Shared.Next((20_000 - lowest) / step + 1, (ephemeralStart - highest) / step) * step;
            if (offsets.All(offset => IsFree(candidate + offset)))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"No free loopback ports at offsets {string.Join(", ", offsets)} of a multiple of {step} found below {ephemeralStart}.");
    }

    private static int EphemeralRangeStart()
    {
        const string Range = "/proc/sys/net/ipv4/ip_local_port_range";
        return File.Exists(Range) && int.TryParse(File.ReadAllText(Range).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], out var start)
            ? Math.Clamp(start, 20_300, 65_400)
            : 32_768;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
