using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Sluice.ServiceDefaults;
using Sluice.Validation.V1;

namespace Sluice.Validation.Tests;

/// <summary>
/// The validation service hosted for real: Kestrel on a free loopback port, the service's own
/// composition, its bus (in-memory unless the configuration says otherwise), and the generated
/// client over a real channel.
/// </summary>
public sealed class ValidationHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private ValidationHost(WebApplication app, string address)
    {
        _app = app;
        Address = address;
        _channel = GrpcChannel.ForAddress(address);
        Client = new ValidationService.ValidationServiceClient(_channel);
    }

    public ValidationService.ValidationServiceClient Client { get; }

    public GrpcChannel Channel => _channel;

    public string Address { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts the service on <paramref name="directories"/>, with Sluice:Validation settings <paramref name="settings"/> (keys without the prefix).</summary>
    /// <param name="configureServices">Registers extra services before the service's own (e.g. an ICustomSqlRunner).</param>
    /// <param name="configuration">Any other configuration, full keys (e.g. Sluice:Broker:Transport); the in-memory bus when absent.</param>
    public static async Task<ValidationHost> StartAsync(TestDirectories directories, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configureServices = null, IReadOnlyDictionary<string, string?>? configuration = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        var all = new Dictionary<string, string?>
        {
            // In configuration, not SetMinimumLevel: the service defaults' Logging:LogLevel:Default
            // (a configuration rule) would win over a minimum level set in code.
            ["Logging:LogLevel:Default"] = "Warning",
            ["Sluice:Validation:DataDirectory"] = directories.Data,
            ["Sluice:Validation:EvaluationRetryInterval"] = "00:00:00.050",
            ["Sluice:ObjectStore:Provider"] = "Local",
            ["Sluice:ObjectStore:LocalRoot"] = directories.Objects,
        };
        foreach (var (key, value) in configuration ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all["Sluice:Validation:" + key] = value;
        }
        builder.Configuration.AddInMemoryCollection(all);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(IPAddress.Loopback, 0));
        configureServices?.Invoke(builder.Services);
        builder.AddValidationService();
        builder.AddSluiceBus();
        var app = builder.Build();
        app.MapValidationService();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new ValidationHost(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One service shared by the tests of a class, on the in-memory bus; every test uses names of its own.</summary>
public class SharedValidationHost : IAsyncLifetime
{
    /// <summary>Small limits, so that the size checks are exercised with small requests.</summary>
    public static readonly Dictionary<string, string?> Limits = new()
    {
        ["MaxDocumentLength"] = "4096",
        ["MaxSchemaLength"] = "4096",
        ["MaxRulesetLength"] = "2048",
        ["MaxInlineRows"] = "50",
    };

    private readonly TestDirectories _directories = new();

    public ValidationHost Host { get; private set; } = null!;

    public string ObjectRoot => _directories.Objects;

    /// <summary>Host configuration choosing the bus transport (the Sluice:Broker section); none for the in-memory bus.</summary>
    protected virtual IReadOnlyDictionary<string, string?>? BusConfiguration() => null;

    public async Task InitializeAsync() => Host = await ValidationHost.StartAsync(_directories, Limits, configuration: BusConfiguration());

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        _directories.Dispose();
    }
}

/// <summary>
/// <see cref="SharedValidationHost"/> on the RabbitMQ server SLUICE_TEST_RABBITMQ names. Its
/// consumer's queue has a fixed name: use it only from tests in <see cref="RabbitMqBroker.Collection"/>.
/// </summary>
public sealed class RabbitMqSharedValidationHost : SharedValidationHost
{
    protected override IReadOnlyDictionary<string, string?> BusConfiguration() => RabbitMqBroker.BusConfiguration();
}
