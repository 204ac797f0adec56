using System.Diagnostics;
using Grpc.Net.Client;
using Sluice.Query.V1;

namespace Sluice.Query.Tests.Faults;

/// <summary>
/// The query service as its own process (services/Sluice.Query's build, as deploy/local runs it),
/// on loopback ports, configured through environment variables; started once ready (/readyz),
/// and stopped gracefully (SIGTERM) or killed (SIGKILL) by its process id.
/// </summary>
public sealed class QueryProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);
    private readonly Process _process;
    private readonly GrpcChannel _channel;
    private readonly string _logPath;

    private QueryProcess(Process process, int grpcPort, string logPath)
    {
        _process = process;
        _logPath = logPath;
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        Client = new QueryService.QueryServiceClient(_channel);
    }

    public QueryService.QueryServiceClient Client { get; }

    /// <summary>The service's build next to this test's (same configuration), which building the tests builds.</summary>
    public static string ServiceDll
    {
        get
        {
            // .../tests/Sluice.Query.Tests/bin/<Configuration>/<framework>/
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var path = Path.Combine(PeerProcess.RepoRoot, "services", "Sluice.Query", "bin", output.Parent!.Name, output.Name, "Sluice.Query.dll");
            return File.Exists(path) ? path : throw new InvalidOperationException($"The query service is not built at {path}: build tests/Sluice.Query.Tests.");
        }
    }

    /// <summary>Starts the service with <paramref name="settings"/> (configuration keys, e.g. Sluice:Query:Engine) and waits until it is ready.</summary>
    public static async Task<QueryProcess> StartAsync(IReadOnlyDictionary<string, string> settings, string logPath)
    {
        var ports = LoopbackPorts.FreeBlock(2);
        var start = new ProcessStartInfo("dotnet") { ArgumentList = { ServiceDll }, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Sluice__Query__GrpcPort"] = ports.ToString();
        start.Environment["Sluice__Admin__Port"] = (ports + 1).ToString();
        start.Environment["Sluice__Query__DataApiPort"] = "-1";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__")] = value;
        }
        var process = Process.Start(start)!;
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, line) => Write(log, line.Data);
        process.ErrorDataReceived += (_, line) => Write(log, line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = new QueryProcess(process, ports, logPath);
        await started.WaitReadyAsync(ports + 1);
        return started;
    }

    /// <summary>Ends the process at once with SIGKILL: nothing of it runs after this returns.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>Stops the process as an operator would (SIGTERM), waiting for it to exit.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
        {
            await term.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await _process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        if (!_process.HasExited)
        {
            await KillAsync();
        }
        _process.Dispose();
    }

    private async Task WaitReadyAsync(int adminPort)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var timeout = new CancellationTokenSource(ReadyTimeout);
        while (true)
        {
            if (_process.HasExited)
            {
                Assert.Fail($"The query service exited with {_process.ExitCode} before it was ready; its log: {LogTail()}");
            }
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{adminPort}/readyz", timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!timeout.IsCancellationRequested)
            {
                // One slow answer on a loaded machine; ask again.
            }
            Assert.False(timeout.IsCancellationRequested, $"The query service was not ready within {ReadyTimeout.TotalSeconds} s; its log: {LogTail()}");
            await Task.Delay(100);
        }
    }

    private string LogTail()
    {
        try
        {
            using var stream = new FileStream(_logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var text = reader.ReadToEnd();
            return text.Length > 4000 ? text[^4000..] : text;
        }
        catch (IOException exception)
        {
            return $"(unreadable: {exception.Message})";
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            log.WriteLine(line);
        }
    }
}
