using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sluice.Gateway.AccessLog;
using Sluice.Gateway.Admin;
using Sluice.Gateway.Backends;
using Sluice.Gateway.Caching;
using Sluice.Gateway.GrpcProxy;
using Sluice.Gateway.Integrations;
using Sluice.Gateway.Management;
using Sluice.Gateway.Pipeline;
using Sluice.Gateway.Plans;
using Sluice.Gateway.State;
using Sluice.Gateway.Storage;
using Sluice.ServiceDefaults;

namespace Sluice.Gateway;

/// <summary>Composition of the Gateway service: what it registers and what it serves.</summary>
public static class GatewayServiceHosting
{
    /// <summary>
    /// Registers the gateway: its state (SQLite under Sluice:Gateway:DataDirectory, or PostgreSQL
    /// with Sluice:Gateway:Store=Postgres, reloaded when other gateways change it), keys, plans
    /// and throttles, the REST listener (Sluice:Gateway:RestPort), the sluice.gateway.v1 admin
    /// service, API Gateway's management API (Sluice:Gateway:ManagementPort), the gRPC proxy listener
    /// (Sluice:Gateway:GrpcProxyPort), gRPC clients of the services it fronts (Sluice:Services:{Name})
    /// and a health check that the gateway can reach them.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayService(this IHostApplicationBuilder builder)
    {
        builder.AddSluiceServiceDefaults();
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName)
            .Validate(o => o.MaxPayloadBytes is > 0 and <= 100L * 1024 * 1024, "Sluice:Gateway:MaxPayloadBytes must be from 1 to 100 MB.")
            .Validate(o => o.AccountThrottle.Rate > 0 && o.AccountThrottle.Burst >= 0, "Sluice:Gateway:AccountThrottle needs a positive Rate and a Burst of 0 or more.")
            .Validate(o => o.Apis.All(a => a.Id.Length > 0 && a.File.Length > 0), "Each Sluice:Gateway:Apis entry needs an Id and a File.")
            .Validate(o => string.IsNullOrEmpty(o.Sample.ApiKey) || o.Sample.ApiKey.Length >= GatewayState.MinKeyLength,
                $"Sluice:Gateway:Sample:ApiKey must have at least {GatewayState.MinKeyLength} characters.")
            .Validate(o => o.Private.AllowCidrs.Concat(o.Private.DenyCidrs).All(c => System.Net.IPNetwork.TryParse(c, out _)),
                "Sluice:Gateway:Private:AllowCidrs and DenyCidrs take CIDR ranges such as 10.0.0.0/8.")
            .Validate(o => o.ManagementAccessKeys.All(k => k.AccessKeyId.Length > 0 && k.SecretAccessKey.Length > 0),
                "Each Sluice:Gateway:ManagementAccessKeys entry needs an AccessKeyId and a SecretAccessKey.")
            .Validate(o => o.Store != GatewayStoreKind.Postgres || !string.IsNullOrWhiteSpace(o.PostgresConnectionString),
                "Sluice:Gateway:PostgresConnectionString is required when Sluice:Gateway:Store is Postgres.")
            .Validate(o => string.IsNullOrWhiteSpace(o.PostgresConnectionString) || IsConnectionString(o.PostgresConnectionString),
                "Sluice:Gateway:PostgresConnectionString is not an Npgsql connection string (Host=...;Username=...;Database=...).")
            .Validate(o => o.StoreRefreshInterval >= TimeSpan.FromMilliseconds(100) && o.StoreRefreshInterval <= TimeSpan.FromHours(1),
                "Sluice:Gateway:StoreRefreshInterval must be from 100 ms to 1 hour.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(CreateStore);
        services.TryAddSingleton<ThrottleBuckets>();
        services.TryAddSingleton<UsageMeter>();
        services.TryAddSingleton<GatewayState>();
        services.TryAddSingleton<MockIntegration>();
        services.TryAddSingleton<HttpIntegration>();
        services.TryAddSingleton<SqlIntegration>();
        services.TryAddSingleton<GrpcIntegration>();
        services.TryAddSingleton<IntegrationRegistry>();
        services.TryAddSingleton<StageCache>();
        services.TryAddSingleton<GatewayPipeline>();
        services.TryAddSingleton<ResourcePolicy>();
        services.TryAddSingleton<GatewayAdminGrpcService>();
        services.AddHttpClient(HttpIntegration.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        services.AddRpcExceptionMapper<GatewayRpcExceptionMapper>();
        services.AddHostedService<GatewayStartup>();
        services.AddHostedService<UsageFlusher>();
        services.AddHostedService<GatewayStateRefresher>();
        builder.AddGatewayRestListener();
        builder.AddGatewayManagementApi();
        builder.AddGatewayGrpcProxy();
        builder.AddGatewayAccessLog();
        builder.AddGatewayRestPipeline(); // After the access log, which wraps it.
        foreach (var backend in GatewayBackend.All)
        {
            builder.AddSluiceServiceClient<BackendClient>(backend.Name, Grpc.Health.V1.Health.Descriptor, nameof(Grpc.Health.V1.Health.HealthClient.Check));
        }
        services.AddHealthChecks().AddCheck<BackendsHealthCheck>("backends", tags: [BackendsHealthCheck.Tag]);
        return builder;
    }

    public static IEndpointRouteBuilder MapGatewayService(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapSluiceGrpcDefaults();
        endpoints.MapGrpcService<GatewayAdminGrpcService>();
        endpoints.MapGatewayRest();
        endpoints.MapGatewayManagementApi();
        return endpoints;
    }

    private static IGatewayStore CreateStore(IServiceProvider provider)
    {
        var options = provider.GetRequiredService<IOptions<GatewayOptions>>().Value;
        return options.Store == GatewayStoreKind.Postgres
            ? new PostgresGatewayStore(options.PostgresConnectionString!)
            : new SqliteGatewayStore(options.DatabasePath);
    }

    private static bool IsConnectionString(string value)
    {
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(value);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
