using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Sluice.Grpc;

namespace Sluice.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// Registers what every Sluice service needs: the gRPC runtime (options from section
    /// "Sluice:Grpc"), health checks published to the gRPC health service.
    /// </summary>
    public static IHostApplicationBuilder AddSluiceServiceDefaults(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(HealthStatusTracker)))
        {
            return builder; // Already added (the all-in-one host adds every service to one container).
        }
        services.AddSluiceGrpc();
        services.AddOptions<GrpcServerOptions>().BindConfiguration("Sluice:Grpc");
        services.AddSingleton<HealthStatusTracker>();
        services.AddSingleton<IHealthCheckPublisher>(sp => sp.GetRequiredService<HealthStatusTracker>());
        services.AddHostedService<HealthLifetimeService>();
        services.AddHealthChecks();
        services.Configure<HealthCheckPublisherOptions>(options =>
        {
            options.Delay = TimeSpan.FromSeconds(2);
            options.Period = TimeSpan.FromSeconds(15);
        });
        services.TryAddSingleton<GrpcHealthService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Routing.MatcherPolicy, ListenerMatcherPolicy>());
        return builder;
    }

    /// <summary>Maps grpc.health.v1.Health and declares <paramref name="serviceNames"/> to it.</summary>
    public static IEndpointConventionBuilder MapSluiceHealth(this IEndpointRouteBuilder endpoints, params string[] serviceNames)
    {
        var tracker = endpoints.ServiceProvider.GetRequiredService<HealthStatusTracker>();
        foreach (var name in serviceNames)
        {
            tracker.AddService(name);
        }
        return endpoints.MapGrpcService<GrpcHealthService>();
    }
}
