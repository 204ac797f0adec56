using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Sluice.Ingestion.Tests;

/// <summary>
/// A real json-server (npm, deploy/node) on a free 127.0.0.1 port, serving a generated db of
/// 2,500 items; paged with _page/_limit it sends Link headers. Stopped (by its own PID) afterwards.
/// </summary>
public sealed class JsonServerFixture : IAsyncLifetime
{
    public const int ItemCount = 2500;

    private readonly StringBuilder _output = new();
    private Process? _process;
    private string? _directory;

    public string BaseUrl { get; private set; } = "";

    public IReadOnlyList<JsonElement> Items { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var cli = Path.Combine(PeerProcess.RepoRoot, "deploy", "node", "node_modules", "json-server", "lib", "cli", "bin.js");
        if (!File.Exists(cli))
        {
            throw new InvalidOperationException($"json-server is not installed ({cli} is missing): run 'bash deploy/install-deps.sh'.");
        }
        _directory = Path.Combine(Path.GetTempPath(), "sluice-json-server", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        var items = Enumerable.Range(1, ItemCount).Select(i => new { id = i, title = $"issue {i}", state = i % 3 == 0 ? "closed" : "open", comments = i % 17 }).ToList();
        var db = Path.Combine(_directory, "db.json");
        await File.WriteAllTextAsync(db, JsonSerializer.Serialize(new { items }));
        Items = JsonSerializer.SerializeToElement(items).EnumerateArray().ToList();
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            BaseUrl = $"http://127.0.0.1:{port}";
            var start = new ProcessStartInfo("node") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { cli, db, "--port", port.ToString(), "--host", "127.0.0.1", "--quiet" })
            {
                start.ArgumentList.Add(argument);
            }
            _process = Process.Start(start)!;
            _process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
            _process.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            using var http = new HttpClient();
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTime.UtcNow < until && !_process.HasExited)
            {
                try
                {
                    using var response = await http.GetAsync($"{BaseUrl}/items?_page=1&_limit=1");
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                }
                await Task.Delay(100);
            }
            if (attempt >= 3)
            {
                throw new InvalidOperationException($"json-server did not start: {_output}");
            }
            StopProcess();
        }
    }

    public Task DisposeAsync()
    {
        StopProcess();
        try
        {
            Directory.Delete(_directory!, recursive: true);
        }
        catch (IOException)
        {
        }
        return Task.CompletedTask;
    }

    private void StopProcess()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process?.Dispose();
        _process = null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
