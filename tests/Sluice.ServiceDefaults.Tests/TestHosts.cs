using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Sluice.Host;

namespace Sluice.ServiceDefaults.Tests;

/// <summary>The all-in-one host on free loopback ports with its data in a temp folder.</summary>
internal sealed class AllInOne : IAsyncDisposable
{
    private readonly string _dataDirectory;
    private readonly List<GrpcChannel> _channels = [];

    private AllInOne(WebApplication app, string dataDirectory)
    {
        App = app;
        _dataDirectory = dataDirectory;
        Endpoints = AllInOneHost.GetEndpoints(app);
    }

    public WebApplication App { get; }

    public IReadOnlyDictionary<string, IPEndPoint> Endpoints { get; }

    public static async Task<AllInOne> StartAsync(params string[] settings)
    {
        var data = Path.Combine(Path.GetTempPath(), "sluice-defaults-tests", Guid.NewGuid().ToString("N"));
        string[] args =
        [
            "--Sluice:Gateway:GrpcPort=0", "--Sluice:Ingestion:GrpcPort=0", "--Sluice:Query:GrpcPort=0", "--Sluice:Validation:GrpcPort=0",
            "--Sluice:Admin:Port=0", "--Sluice:Query:DataApiPort=0",
            "--Sluice:Query:DataDirectory=" + Path.Combine(data, "query"),
            "--Sluice:Validation:DataDirectory=" + Path.Combine(data, "validation"),
            "--Sluice:ObjectStore:LocalRoot=" + Path.Combine(data, "objects"),
            "--Logging:LogLevel:Default=Warning",
            .. settings.Select(s => "--" + s),
        ];
        var app = AllInOneHost.Build(args);
        await app.StartAsync();
        return new AllInOne(app, data);
    }

    /// <summary>A channel to one service's listener, disposed with the host.</summary>
    public GrpcChannel Channel(string service, GrpcChannelOptions? options = null)
    {
        var channel = GrpcChannel.ForAddress($"http://{Endpoints[service]}", options ?? new GrpcChannelOptions());
        _channels.Add(channel);
        return channel;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a finishing statement; the temp folder is the OS's to clean.
        }
    }
}
