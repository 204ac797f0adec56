using Grpc.Health.V1;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Gateway.Backends;
using Sluice.ServiceDefaults;

namespace Sluice.Gateway;

/// <summary>Composition of the Gateway service: what it registers and what it serves.</summary>
public static class GatewayServiceHosting
{
    /// <summary>
    /// Registers the gateway: gRPC clients of the services it fronts (Sluice:Services:{Name}) and
    /// a health check that the gateway can reach them.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayService(this IHostApplicationBuilder builder)
    {
        builder.AddSluiceServiceDefaults();
        foreach (var backend in GatewayBackend.All)
        {
            builder.AddSluiceServiceClient<Health.HealthClient>(backend.Name, Health.Descriptor, nameof(Health.HealthClient.Check));
        }
        builder.Services.AddHealthChecks().AddCheck<BackendsHealthCheck>("backends", tags: [BackendsHealthCheck.Tag]);
        return builder;
    }

    public static IEndpointRouteBuilder MapGatewayService(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapSluiceGrpcDefaults();
        return endpoints;
    }
}
