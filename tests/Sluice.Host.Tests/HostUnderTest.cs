using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;

namespace Sluice.Host.Tests;

/// <summary>
/// The all-in-one host, started for real: every listener (the four gRPC ones, the admin one and
/// the query service's Data API) on a free port and every directory under a root of its own, so
/// that hosts of tests running in parallel share nothing. Stopped, and its root deleted, on dispose.
/// </summary>
public sealed class HostUnderTest : IAsyncDisposable
{
    private readonly string _root;
    private readonly List<GrpcChannel> _channels = [];
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
        "--Sluice:Admin:Port=0", "--Sluice:Query:DataApiPort=0",
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

    public async ValueTask DisposeAsync()
    {
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
