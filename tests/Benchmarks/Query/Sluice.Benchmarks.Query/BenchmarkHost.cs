using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Sluice.Query.V1;
using Sluice.ServiceDefaults;

namespace Sluice.Benchmarks.Query;

/// <summary>The query service on one engine, gRPC on a free loopback port, and a client for it.</summary>
internal sealed class BenchmarkHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private BenchmarkHost(WebApplication app, int port)
    {
        _app = app;
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        Client = new QueryService.QueryServiceClient(_channel);
    }

    public QueryService.QueryServiceClient Client { get; }

    public static async Task<BenchmarkHost> StartAsync(IDictionary<string, string?> querySettings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Shows when the Kestrel stream-reuse repair (Sluice.ServiceDefaults) saved a response.
        builder.Logging.AddFilter("Sluice.ServiceDefaults.KestrelStreamReuseRepair", LogLevel.Debug);
        var settings = new Dictionary<string, string?>
        {
            ["Sluice:Query:DataApiPort"] = "-1",
            // The service defaults put Logging:LogLevel:Default = Information in configuration,
            // which outranks SetMinimumLevel: the level must be set there too.
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in querySettings)
        {
            settings["Sluice:Query:" + key] = value;
        }
        builder.Configuration.AddInMemoryCollection(settings);
        ListenOptions? listener = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(IPAddress.Loopback, 0, configure: listen => listener = listen));
        Sluice.Query.QueryServiceHosting.AddQueryService(builder);
        builder.AddSluiceBus();
        var app = builder.Build();
        Sluice.Query.QueryServiceHosting.MapQueryService(app);
        await app.StartAsync();
        return new BenchmarkHost(app, listener!.IPEndPoint!.Port);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
