using System.Diagnostics;
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
    public static string PeersDirectory { get; } = Path.Combine(FindRepoRoot(), "tests", "Sluice.Query.Tests", "Peers");

    /// <summary>
    /// Runs <paramref name="peer"/>'s scenario (Peers/README.md) against the query service at
    /// <paramref name="address"/> on <paramref name="database"/>, and returns what it observed.
    /// </summary>
    public static async Task<JsonElement> RunAsync(string peer, Uri address, string database)
    {
        var (file, script) = peer switch
        {
            Python => ("/usr/bin/python3", "query_client.py"),
            Node => ("node", "query_client.js"),
            _ => throw new ArgumentOutOfRangeException(nameof(peer), peer, "Unknown peer."),
        };
        var start = new ProcessStartInfo(file)
        {
            ArgumentList = { Path.Combine(PeersDirectory, script), "--target", $"{address.Host}:{address.Port}", "--database", database },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ProcessTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The {peer} query client did not finish in {ProcessTimeout.TotalSeconds} s. stderr: {await stderr}");
        }
        var output = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The {peer} query client crashed (exit {process.ExitCode}): {await stderr}");
        }
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    /// <summary>The nearest ancestor of the test binaries holding the query proto (the repository root).</summary>
    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "protos", "sluice", "query", "v1", "query.proto")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("protos/sluice/query/v1/query.proto not found above " + AppContext.BaseDirectory);
    }
}
