using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Sluice.Host;

namespace Sluice.Peers.Tests;

/// <summary>
/// The all-in-one host (services/Sluice.Host) started for real: the four services on free
/// loopback ports, cleartext HTTP/2, the embedded profile (in-memory bus, SQLite warehouse with
/// the demo sales table in "dev"), its data in a fresh temp folder.
/// </summary>
public sealed class SluiceHost : IAsyncDisposable
{
    /// <summary>The listeners, by the names the host gives them.</summary>
    public static readonly string[] Listeners = ["Gateway", "Ingestion", "Query", "Validation"];

    private readonly WebApplication _app;
    private readonly Dictionary<string, GrpcChannel> _channels;

    private SluiceHost(WebApplication app, IReadOnlyDictionary<string, IPEndPoint> endpoints, string dataDirectory)
    {
        _app = app;
        Endpoints = endpoints;
        DataDirectory = dataDirectory;
        _channels = endpoints.ToDictionary(e => e.Key, e => GrpcChannel.ForAddress($"http://{e.Value}"));
    }

    /// <summary>Each listener's bound gRPC endpoint.</summary>
    public IReadOnlyDictionary<string, IPEndPoint> Endpoints { get; }

    public string DataDirectory { get; }

    /// <summary>A Sluice (Grpc.Net.Client) channel to a listener, for reading what peers read.</summary>
    public GrpcChannel Channel(string listener) => _channels[listener];

    /// <summary>"host:port" of a listener, as peers in other processes dial it.</summary>
    public string Target(string listener) => Endpoints[listener].ToString();

    /// <summary>
    /// Starts the host with <paramref name="settings"/> (configuration keys and values) on top of
    /// free ports, a private data folder and a health period of one second.
    /// </summary>
    public static async Task<SluiceHost> StartAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "sluice-peers-tests", Guid.NewGuid().ToString("N"));
        var all = new Dictionary<string, string>
        {
            ["Sluice:Gateway:GrpcPort"] = "0",
            ["Sluice:Ingestion:GrpcPort"] = "0",
            ["Sluice:Query:GrpcPort"] = "0",
            ["Sluice:Validation:GrpcPort"] = "0",
            ["Sluice:Admin:Port"] = "0",
            ["Sluice:Query:DataApiPort"] = "0",
            ["Sluice:Gateway:RestPort"] = "0",
            ["Sluice:Gateway:ManagementPort"] = "-1",
            ["Sluice:Gateway:GrpcProxyPort"] = "0",
            ["Sluice:Gateway:DataDirectory"] = Path.Combine(dataDirectory, "gateway"),
            ["Sluice:Query:DataDirectory"] = Path.Combine(dataDirectory, "query"),
            ["Sluice:Validation:DataDirectory"] = Path.Combine(dataDirectory, "validation"),
            ["Sluice:ObjectStore:LocalRoot"] = Path.Combine(dataDirectory, "objects"),
            ["Sluice:Health:Period"] = "00:00:01",
            ["Logging:LogLevel:Default"] = "Warning",
            // For ServerLogRecorder: the gRPC server's trace events, to the EventSource provider only
            // (nothing is formatted unless a listener asks for them).
            [$"Logging:EventSource:LogLevel:{ServerLogRecorder.Category}"] = "Trace",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }
        var app = AllInOneHost.Build([.. all.Select(setting => $"--{setting.Key}={setting.Value}")]);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new SluiceHost(app, AllInOneHost.GetEndpoints(app), dataDirectory);
    }

    /// <summary>Asks <paramref name="listener"/>'s overall health with Check until it says Serving; fails after <paramref name="timeout"/>.</summary>
    public async Task WaitUntilServingAsync(string listener, TimeSpan timeout)
    {
        var client = new Health.HealthClient(Channel(listener));
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var reply = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
                last = reply.Status.ToString();
            }
            catch (RpcException error)
            {
                last = $"{error.StatusCode}: {error.Status.Detail}";
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
        throw new TimeoutException($"The {listener} listener did not report Serving in {timeout.TotalSeconds} s; its last answer was {last}.");
    }

    /// <summary>Opens a Watch of <paramref name="service"/> on <paramref name="listener"/>, kept open until disposed.</summary>
    public HealthWatch WatchHealth(string listener, string service) => new(new Health.HealthClient(Channel(listener)), service);

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await _app.StopAsync(stop.Token);
        }
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a finishing statement; the temp folder is cleaned by the OS.
        }
    }
}

/// <summary>One grpc.health.v1 Watch call, read message by message: what a watcher hears, in order, on one stream.</summary>
public sealed class HealthWatch : IAsyncDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly AsyncServerStreamingCall<HealthCheckResponse> _call;

    internal HealthWatch(Health.HealthClient client, string service)
    {
        Service = service;
        _call = client.Watch(new HealthCheckRequest { Service = service }, cancellationToken: _cancel.Token);
    }

    public string Service { get; }

    /// <summary>Every status received so far, in order.</summary>
    public List<HealthCheckResponse.Types.ServingStatus> Received { get; } = [];

    /// <summary>Reads the stream until it reports <paramref name="expected"/>; fails after <paramref name="timeout"/>.</summary>
    public async Task WaitForAsync(HealthCheckResponse.Types.ServingStatus expected, TimeSpan timeout)
    {
        using var timer = new CancellationTokenSource(timeout);
        try
        {
            while (await _call.ResponseStream.MoveNext(timer.Token))
            {
                Received.Add(_call.ResponseStream.Current.Status);
                if (Received[^1] == expected)
                {
                    return;
                }
            }
        }
        catch (Exception error) when (timer.IsCancellationRequested && error is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            // The timer cancelled the call itself: this watch is over.
            throw new TimeoutException($"The Watch of '{Service}' did not report {expected} in {timeout.TotalSeconds} s; it reported [{string.Join(", ", Received)}].");
        }
        throw new InvalidOperationException($"The Watch of '{Service}' ended before reporting {expected}; it reported [{string.Join(", ", Received)}].");
    }

    public ValueTask DisposeAsync()
    {
        _cancel.Cancel();
        _call.Dispose();
        _cancel.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// One all-in-one host shared by the tests of <see cref="SluiceHostCollection"/>: peers only read
/// from it or add statements and schemas of their own. Each peer scenario runs once per host and
/// its observations are shared by the tests that assert on them.
/// </summary>
public class SluiceHostFixture : IAsyncLifetime
{
    private readonly ConcurrentDictionary<(string Peer, string Scenario), Lazy<Task<JsonElement>>> _runs = new();
    private SluiceHost? _host;

    public SluiceHost Host => _host ?? throw new InvalidOperationException("The host has not started.");

    /// <summary>What <paramref name="peer"/> observed running <paramref name="scenario"/> against this host (run on first ask).</summary>
    public Task<JsonElement> RunAsync(string peer, string scenario) =>
        _runs.GetOrAdd((peer, scenario), key => new Lazy<Task<JsonElement>>(() => Peers.RunClientAsync(key.Peer, Host, key.Scenario))).Value;

    /// <summary>Configuration the host starts with beyond <see cref="SluiceHost.StartAsync"/>'s own.</summary>
    protected virtual IReadOnlyDictionary<string, string>? Settings => null;

    public async Task InitializeAsync()
    {
        _host = await SluiceHost.StartAsync(Settings);
        // The peers expect a healthy host: wait until every listener says so. Asked with Check,
        // which runs the checks on the call: a Watch only hears published runs, and a fixture with
        // a long health period may have published its one run before the backends were up.
        foreach (var listener in SluiceHost.Listeners)
        {
            await _host.WaitUntilServingAsync(listener, TimeSpan.FromSeconds(60));
        }
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

/// <summary>The test classes that share one <see cref="SluiceHostFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class SluiceHostCollection : ICollectionFixture<SluiceHostFixture>
{
    public const string Name = "Sluice all-in-one host";
}
