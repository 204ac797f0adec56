using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Sluice.Host;

namespace Sluice.Tests.Shared;

/// <summary>
/// The all-in-one host, started for real (linked from tests/Shared into the test projects that
/// host it): every listener (the four gRPC ones, the admin one and
/// the query service's Data API) on a free port and every directory under a root of its own, so
/// that hosts of tests running in parallel share nothing. Stopped, and its root deleted, on dispose.
/// </summary>
public sealed class HostUnderTest : IAsyncDisposable
{
    private readonly string _root;
    private readonly List<GrpcChannel> _channels = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly Lock _sync = new();

    private HostUnderTest(WebApplication app, string root)
    {
        App = app;
        _root = root;
    }

    public WebApplication App { get; }

    /// <summary>The bound gRPC endpoint of each service.</summary>
    public IReadOnlyDictionary<string, IPEndPoint> Endpoints => AllInOneHost.GetEndpoints(App);

    /// <summary>The bound admin endpoint (/metrics, /healthz, /readyz).</summary>
    public IPEndPoint Admin => AllInOneHost.GetAdminEndpoint(App) ?? throw new InvalidOperationException("The admin listener is off.");

    /// <summary>A deadline for one call of a test: generous, so that a slow shared machine does not fail it, but bounded.</summary>
    public static DateTime Deadline => DateTime.UtcNow.AddSeconds(20);

    /// <summary>A new root directory under the temporary folder (not created).</summary>
    public static string NewRoot() => Path.Combine(Path.GetTempPath(), "sluice-host-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Command-line settings putting every listener on a free port and every directory under <paramref name="root"/>.</summary>
    public static string[] Arguments(string root) =>
    [
        "--Sluice:Gateway:GrpcPort=0", "--Sluice:Ingestion:GrpcPort=0", "--Sluice:Query:GrpcPort=0", "--Sluice:Validation:GrpcPort=0",
        "--Sluice:Admin:Port=0", "--Sluice:Query:DataApiPort=0", "--Sluice:Gateway:RestPort=0", "--Sluice:Gateway:ManagementPort=-1", "--Sluice:Gateway:GrpcProxyPort=0",
        "--Sluice:Gateway:DataDirectory=" + Path.Combine(root, "gateway"),
        "--Sluice:Query:DataDirectory=" + Path.Combine(root, "query"),
        "--Sluice:Validation:DataDirectory=" + Path.Combine(root, "validation"),
        "--Sluice:ObjectStore:LocalRoot=" + Path.Combine(root, "objects"),
    ];

    /// <summary>Builds the host with <see cref="Arguments"/> and then <paramref name="settings"/>, runs <paramref name="beforeStart"/> on it, and starts it.</summary>
    public static async Task<HostUnderTest> StartAsync(IEnumerable<string>? settings = null, Action<WebApplication>? beforeStart = null)
    {
        var root = NewRoot();
        var app = AllInOneHost.Build([.. Arguments(root), .. settings ?? []]);
        try
        {
            beforeStart?.Invoke(app);
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            DeleteRoot(root);
            throw;
        }
        return new HostUnderTest(app, root);
    }

    /// <summary>A cleartext gRPC channel to <paramref name="service"/>'s listener (disposed with the host).</summary>
    public GrpcChannel ChannelTo(string service) => ChannelTo(Endpoints[service]);

    /// <summary>A cleartext gRPC channel to <paramref name="endpoint"/> (disposed with the host).</summary>
    public GrpcChannel ChannelTo(IPEndPoint endpoint)
    {
        var channel = GrpcChannel.ForAddress($"http://{endpoint}");
        lock (_sync)
        {
            _channels.Add(channel);
        }
        return channel;
    }

    /// <summary>GET <paramref name="path"/> on the admin listener (HTTP/1.1).</summary>
    public Task<HttpResponseMessage> GetAdminAsync(string path) => _http.GetAsync($"http://{Admin}{path}");

    /// <summary>
    /// Waits (bounded) until the admin listener's /metrics counts at least <paramref name="count"/>
    /// finished gRPC requests to <paramref name="route"/> (http_server_request_duration_seconds_count).
    /// The server records a request there once it is done with it, after its per-request log lines.
    /// </summary>
    public async Task<string> WaitForFinishedGrpcRequestsAsync(string route, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var metrics = "";
        try
        {
            while (true)
            {
                metrics = await _http.GetStringAsync($"http://{Admin}/metrics", timeout.Token);
                if (PrometheusText.FinishedGrpcRequests(metrics, route) >= count)
                {
                    return metrics;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"/metrics did not count {count} finished gRPC requests to {route} within 30 s; it counted {PrometheusText.FinishedGrpcRequests(metrics, route)}:\n{metrics}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        lock (_sync)
        {
            foreach (var channel in _channels)
            {
                channel.Dispose();
            }
        }
        try
        {
            await App.StopAsync();
        }
        finally
        {
            await App.DisposeAsync();
            DeleteRoot(_root);
        }
    }

    private static void DeleteRoot(string root)
    {
        try
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left for the OS to clean up with the rest of the temporary folder.
        }
        catch (UnauthorizedAccessException)
        {
            // Likewise.
        }
    }
}

/// <summary>One host shared by the tests of a class that only read from it (health, reflection, the admin listener).</summary>
public sealed class SharedHost : IAsyncLifetime
{
    public HostUnderTest Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await HostUnderTest.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Reads the Prometheus text format the admin listener's /metrics serves.</summary>
public static class PrometheusText
{
    /// <summary>The metric ASP.NET Core records every finished request in (http.server.request.duration), in Prometheus's naming.</summary>
    public const string RequestDuration = "http_server_request_duration_seconds";

    /// <summary>The samples of metric <paramref name="name"/> (e.g. a histogram's <c>_count</c>): their labels and value.</summary>
    public static IEnumerable<(Dictionary<string, string> Labels, double Value)> Samples(string metrics, string name)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (!line.StartsWith(name + "{", StringComparison.Ordinal) && !line.StartsWith(name + " ", StringComparison.Ordinal))
            {
                continue;
            }
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var rest = line[name.Length..];
            if (rest.StartsWith('{'))
            {
                var close = rest.LastIndexOf('}');
                foreach (System.Text.RegularExpressions.Match label in System.Text.RegularExpressions.Regex.Matches(rest[1..close], "([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\""))
                {
                    labels[label.Groups[1].Value] = label.Groups[2].Value;
                }
                rest = rest[(close + 1)..];
            }
            var value = rest.Trim().Split(' ')[0];
            yield return (labels, double.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The request-duration counts of gRPC requests (HTTP/2) to <paramref name="route"/>, one sample per label set.</summary>
    public static IEnumerable<(Dictionary<string, string> Labels, double Value)> GrpcRequestCounts(string metrics, string route) =>
        Samples(metrics, RequestDuration + "_count").Where(s => s.Labels.GetValueOrDefault("http_route") == route && s.Labels.GetValueOrDefault("network_protocol_version") == "2");

    /// <summary>How many gRPC requests to <paramref name="route"/> the server has finished, by the request-duration histogram's count.</summary>
    public static double FinishedGrpcRequests(string metrics, string route) => GrpcRequestCounts(metrics, route).Sum(s => s.Value);
}
