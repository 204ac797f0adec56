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
    public static int FreeBlock(int count)
    {
        var ephemeralStart = EphemeralRangeStart();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var candidate = Random.Shared.Next(20_000, ephemeralStart - count);
            if (Enumerable.Range(candidate, count).All(IsFree))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"No block of {count} free loopback ports found below {ephemeralStart}.");
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
