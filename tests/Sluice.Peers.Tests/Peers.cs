using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sluice.Peers.Tests;

/// <summary>Runs the real gRPC peers in Peers/ (Python grpcio, grpc-js) as processes.</summary>
internal static class Peers
{
    public const string Python = "python";
    public const string Node = "node";

    /// <summary>Every peer language, for theories.</summary>
    public static TheoryData<string> Languages => new() { Python, Node };

    // Each peer call has a 30 s deadline; this only catches a peer that hangs outside its calls.
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The source folder of the peers (they are run in place, not from the build output).</summary>
    public static string PeersDirectory { get; } = Path.Combine(PeerProcess.RepoRoot, "tests", "Sluice.Peers.Tests", "Peers");

    /// <summary>Runs one scenario of <paramref name="peer"/>'s client (Peers/README.md) against every listener of <paramref name="host"/>.</summary>
    public static Task<JsonElement> RunClientAsync(string peer, SluiceHost host, string scenario)
    {
        var (file, script) = peer switch
        {
            Python => ("/usr/bin/python3", "peer_client.py"),
            Node => ("node", "peer_client.js"),
            _ => throw new ArgumentOutOfRangeException(nameof(peer), peer, "Unknown peer."),
        };
        List<string> arguments = [Path.Combine(PeersDirectory, script), "--scenario", scenario];
        foreach (var listener in SluiceHost.Listeners)
        {
            arguments.AddRange(["--" + listener.ToLowerInvariant(), host.Target(listener)]);
        }
        return PeerProcess.RunForJsonAsync(file, arguments, $"The {peer} client, scenario {scenario},", ProcessTimeout);
    }
}

/// <summary>
/// Peers/health_server.py: a real grpcio server of grpc.health.v1 whose statuses a test sets
/// through commands on its standard input (one JSON line answers each). Disposing it stops it;
/// <see cref="KillAsync"/> ends it abruptly, as a crash would.
/// </summary>
internal sealed class PythonHealthServer : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly SemaphoreSlim _commands = new(1, 1);

    private PythonHealthServer(Process process) => _process = process;

    public int Port { get; private set; }

    /// <summary>The address Sluice's clients dial.</summary>
    public string Address => $"http://127.0.0.1:{Port}";

    /// <summary>Starts the server with every service in <paramref name="serving"/> SERVING.</summary>
    public static async Task<PythonHealthServer> StartAsync(params string[] serving)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(Peers.PeersDirectory, "health_server.py"));
        foreach (var service in serving)
        {
            start.ArgumentList.Add("--serving");
            start.ArgumentList.Add(service);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the Python health server.");
        var server = new PythonHealthServer(process);
        process.ErrorDataReceived += (_, line) =>
        {
            lock (server._stderr)
            {
                server._stderr.AppendLine(line.Data);
            }
        };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
                if (line is null)
                {
                    await process.WaitForExitAsync(timeout.Token);
                    throw new InvalidOperationException($"The Python health server exited ({process.ExitCode}) before serving: {server.Stderr}");
                }
                if (line.StartsWith("PORT ", StringComparison.Ordinal))
                {
                    server.Port = int.Parse(line[5..], CultureInfo.InvariantCulture);
                    return server;
                }
            }
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    private string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Sets what Check answers for <paramref name="service"/>: SERVING, NOT_SERVING, or UNKNOWN (NOT_FOUND, as for a service the server does not have).</summary>
    public Task<JsonElement> SetAsync(string service, string status) => CommandAsync($"set {service} {status}");

    /// <summary>Every Check and Watch call the server has received, oldest first.</summary>
    public async Task<List<JsonElement>> CallsAsync() =>
        [.. (await CommandAsync("calls")).GetProperty("calls").EnumerateArray()];

    /// <summary>Ends the process abruptly (its whole tree), as a crash or an OOM kill would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
    }

    private async Task<JsonElement> CommandAsync(string command)
    {
        await _commands.WaitAsync();
        try
        {
            using var timeout = new CancellationTokenSource(CommandTimeout);
            await _process.StandardInput.WriteLineAsync(command.AsMemory(), timeout.Token);
            await _process.StandardInput.FlushAsync(timeout.Token);
            var line = await _process.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException($"The Python health server ended instead of answering '{command}': {Stderr}");
            var answer = JsonDocument.Parse(line).RootElement.Clone();
            if (answer.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"The Python health server refused '{command}': {error}");
            }
            return answer;
        }
        finally
        {
            _commands.Release();
        }
    }

    /// <summary>Stops the server: end of its standard input, then a kill if it is still there after 10 s.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    _process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // It exited meanwhile: the pipe is gone.
                }
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await _process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
        }
        finally
        {
            _process.Dispose();
            _commands.Dispose();
        }
    }
}
