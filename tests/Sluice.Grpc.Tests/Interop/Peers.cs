using System.Diagnostics;
using System.Text.Json;

namespace Sluice.Grpc.Tests.Interop;

/// <summary>Runs the real gRPC peers in Interop/Peers (Python grpcio, grpc-js) as processes.</summary>
internal static class Peers
{
    public const string Python = "python";
    public const string Node = "node";

    public static string RepoRoot { get; } = FindRepoRoot();

    private static string PeersDirectory => Path.Combine(RepoRoot, "tests", "Sluice.Grpc.Tests", "Interop", "Peers");

    /// <summary>Runs one scenario of a peer client against <paramref name="port"/> and returns what it observed.</summary>
    public static async Task<JsonElement> RunClientAsync(string peer, int port, string scenario)
    {
        var (file, script) = peer switch
        {
            Python => ("/usr/bin/python3", "python_client.py"),
            Node => ("node", "node_client.js"),
            _ => throw new ArgumentOutOfRangeException(nameof(peer)),
        };
        var start = new ProcessStartInfo(file)
        {
            ArgumentList = { Path.Combine(PeersDirectory, script), "--target", $"127.0.0.1:{port}", "--scenario", scenario },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{peer} client, scenario {scenario}, did not finish in 90 s. stderr: {await stderr}");
        }
        var output = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{peer} client crashed (exit {process.ExitCode}) in scenario {scenario}: {await stderr}");
        }
        return JsonDocument.Parse(output).RootElement.Clone();
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

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Services.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Services.sln not found above " + AppContext.BaseDirectory);
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
