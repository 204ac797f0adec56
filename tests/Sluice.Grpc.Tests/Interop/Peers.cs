using System.Diagnostics;
using System.Text.Json;

namespace Sluice.Grpc.Tests.Interop;

/// <summary>Runs the real gRPC peers in Interop/Peers (Python grpcio, grpc-js) as processes.</summary>
internal static class Peers
{
    public const string Python = "python";
    public const string Node = "node";

    private static string PeersDirectory => Path.Combine(PeerProcess.RepoRoot, "tests", "Sluice.Grpc.Tests", "Interop", "Peers");

    /// <summary>Runs one scenario of a peer client against <paramref name="port"/> and returns what it observed.</summary>
    public static Task<JsonElement> RunClientAsync(string peer, int port, string scenario)
    {
        var (file, script) = peer switch
        {
            Python => ("/usr/bin/python3", "python_client.py"),
            Node => ("node", "node_client.js"),
            _ => throw new ArgumentOutOfRangeException(nameof(peer)),
        };
        return PeerProcess.RunForJsonAsync(file, [Path.Combine(PeersDirectory, script), "--target", $"127.0.0.1:{port}", "--scenario", scenario],
            $"The {peer} client, scenario {scenario},", TimeSpan.FromSeconds(90));
    }

    /// <summary>Starts the Python grpcio interop server; dispose to stop it.</summary>
    public static async Task<PeerServer> StartPythonServerAsync()
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList = { Path.Combine(PeersDirectory, "python_server.py"), "--port", "0" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the Python server.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                throw new InvalidOperationException("The Python server exited before serving: " + await process.StandardError.ReadToEndAsync());
            }
            if (line.StartsWith("PORT ", StringComparison.Ordinal))
            {
                return new PeerServer(process, int.Parse(line[5..], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}

/// <summary>A peer server process, stopped (stdin closed, then killed if needed) on dispose.</summary>
internal sealed class PeerServer(Process process, int port) : IAsyncDisposable
{
    public int Port { get; } = port;

    public async ValueTask DisposeAsync()
    {
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
        process.Dispose();
    }
}
