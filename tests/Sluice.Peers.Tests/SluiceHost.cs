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
    /// free ports, a private data folder and a health period of one second, and waits until its
    /// health checks have been published once (so that Watch callers start from a real status).
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
            ["Sluice:Query:DataDirectory"] = Path.Combine(dataDirectory, "query"),
            ["Sluice:Validation:DataDirectory"] = Path.Combine(dataDirectory, "validation"),
            ["Sluice:ObjectStore:LocalRoot"] = Path.Combine(dataDirectory, "objects"),
            ["Sluice:Health:Period"] = "00:00:01",
            ["Logging:LogLevel:Default"] = "Warning",
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
        var host = new SluiceHost(app, AllInOneHost.GetEndpoints(app), dataDirectory);
        return host;
    }

    /// <summary>Waits until a Watch of <paramref name="service"/> on <paramref name="listener"/> reports <paramref name="expected"/>.</summary>
    public async Task WaitForHealthAsync(string listener, string service, HealthCheckResponse.Types.ServingStatus expected, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var last = HealthCheckResponse.Types.ServingStatus.Unknown;
        try
        {
            using var watch = new Health.HealthClient(Channel(listener)).Watch(new HealthCheckRequest { Service = service }, cancellationToken: cancel.Token);
            await foreach (var reply in watch.ResponseStream.ReadAllAsync(cancel.Token))
            {
                last = reply.Status;
                if (last == expected)
                {
                    return;
                }
            }
        }
        catch (RpcException error) when (error.StatusCode == StatusCode.Cancelled && cancel.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
        throw new TimeoutException($"Health of '{service}' on the {listener} listener was still {last} after {timeout.TotalSeconds} s, expected {expected}.");
    }

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

/// <summary>
/// One all-in-one host shared by the tests of <see cref="SluiceHostCollection"/>: peers only read
/// from it or add statements and schemas of their own. Each peer scenario runs once per host and
/// its observations are shared by the tests that assert on them.
/// </summary>
public sealed class SluiceHostFixture : IAsyncLifetime
{
    private readonly ConcurrentDictionary<(string Peer, string Scenario), Lazy<Task<JsonElement>>> _runs = new();
    private SluiceHost? _host;

    public SluiceHost Host => _host ?? throw new InvalidOperationException("The host has not started.");

    /// <summary>What <paramref name="peer"/> observed running <paramref name="scenario"/> against this host (run on first ask).</summary>
    public Task<JsonElement> RunAsync(string peer, string scenario) =>
        _runs.GetOrAdd((peer, scenario), key => new Lazy<Task<JsonElement>>(() => Peers.RunClientAsync(key.Peer, Host, key.Scenario))).Value;

    public async Task InitializeAsync()
    {
        _host = await SluiceHost.StartAsync();
        // Peers that Watch expect the first published status to be a real one.
        foreach (var listener in SluiceHost.Listeners)
        {
            await _host.WaitForHealthAsync(listener, "", HealthCheckResponse.Types.ServingStatus.Serving, TimeSpan.FromSeconds(60));
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
