using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Query.DataApi;
using Sluice.Query.V1;
using Sluice.ServiceDefaults;

namespace Sluice.Query.Tests;

/// <summary>The query service hosted for real on loopback: gRPC on a free port, the Data API on another.</summary>
public sealed class QueryHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private readonly bool _ownsDataDirectory;

    private QueryHost(WebApplication app, int grpcPort, string dataDirectory, bool ownsDataDirectory)
    {
        _app = app;
        _ownsDataDirectory = ownsDataDirectory;
        DataDirectory = dataDirectory;
        GrpcAddress = new Uri($"http://127.0.0.1:{grpcPort}");
        _channel = GrpcChannel.ForAddress(GrpcAddress);
        Client = new QueryService.QueryServiceClient(_channel);
        DataApiUrl = app.Services.GetRequiredService<DataApiListener>().EndPoint is { } endPoint ? $"http://{endPoint}" : "";
    }

    public QueryService.QueryServiceClient Client { get; }

    /// <summary>The gRPC listener's address (cleartext HTTP/2 on loopback), for clients in other processes.</summary>
    public Uri GrpcAddress { get; }

    public string DataApiUrl { get; }

    public string DataDirectory { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts the service with Sluice:Query settings <paramref name="settings"/> (keys without the
    /// section prefix) and any other configuration in <paramref name="configuration"/> (full keys,
    /// e.g. Sluice:Broker:Transport); <paramref name="services"/> registers services before the
    /// query service's own (a TimeProvider the test moves, say). A DataDirectory setting names a
    /// folder the caller keeps (a host replacing another uses it); otherwise a fresh one is deleted at the end.
    /// </summary>
    public static async Task<QueryHost> StartAsync(IDictionary<string, string?> settings, IReadOnlyDictionary<string, string?>? configuration = null,
        Action<IServiceCollection>? services = null)
    {
        var ownsDataDirectory = !settings.TryGetValue("DataDirectory", out var givenDirectory) || givenDirectory is null;
        var dataDirectory = givenDirectory ?? Path.Combine(Path.GetTempPath(), "sluice-query-tests", Guid.NewGuid().ToString("N"));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var all = new Dictionary<string, string?>
        {
            ["Sluice:Query:DataDirectory"] = dataDirectory,
            ["Sluice:Query:DataApiPort"] = "0",
            // The service defaults put Logging:LogLevel:Default = Information in configuration,
            // which outranks SetMinimumLevel: the level must be set there too.
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in configuration ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        foreach (var (key, value) in settings)
        {
            all["Sluice:Query:" + key] = value;
        }
        builder.Configuration.AddInMemoryCollection(all);
        ListenOptions? grpcListener = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(IPAddress.Loopback, 0, configure: listen => grpcListener = listen));
        services?.Invoke(builder.Services);
        builder.AddQueryService();
        builder.AddSluiceBus();
        var app = builder.Build();
        app.MapQueryService();
        await app.StartAsync();
        return new QueryHost(app, grpcListener!.IPEndPoint!.Port, dataDirectory, ownsDataDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (!_ownsDataDirectory)
        {
            return;
        }
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A result file still open by a finishing statement; the temp folder is cleaned by the OS.
        }
    }
}
