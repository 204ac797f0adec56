using System.Text.Json;

namespace Sluice.Query.Tests;

/// <summary>Runs the real gRPC query clients in Peers/ (Python grpcio, grpc-js) as processes.</summary>
internal static class QueryPeerClients
{
    public const string Python = "python";
    public const string Node = "node";

    // Each peer call has a 30 s deadline; this only catches a peer that hangs outside its calls.
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The source folder of the peers (they are run in place, not from the build output).</summary>
    public static string PeersDirectory { get; } = Path.Combine(PeerProcess.RepoRoot, "tests", "Sluice.Query.Tests", "Peers");

    /// <summary>
    /// Runs <paramref name="peer"/>'s scenario (Peers/README.md) against the query service at
    /// <paramref name="address"/> on <paramref name="database"/>, and returns what it observed.
    /// </summary>
    public static Task<JsonElement> RunAsync(string peer, Uri address, string database)
    {
        var (file, script) = peer switch
        {
            Python => ("/usr/bin/python3", "query_client.py"),
            Node => ("node", "query_client.js"),
            _ => throw new ArgumentOutOfRangeException(nameof(peer), peer, "Unknown peer."),
        };
        return PeerProcess.RunForJsonAsync(file, [Path.Combine(PeersDirectory, script), "--target", $"{address.Host}:{address.Port}", "--database", database],
            $"The {peer} query client", ProcessTimeout);
    }
}
