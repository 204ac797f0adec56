using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Sluice.ServiceDefaults;

namespace Sluice.Gateway;

/// <summary>Composition of the Gateway service: what it registers and what it serves.</summary>
public static class GatewayServiceHosting
{
    public static IHostApplicationBuilder AddGatewayService(this IHostApplicationBuilder builder)
    {
        builder.AddSluiceServiceDefaults();
        return builder;
    }

    public static IEndpointRouteBuilder MapGatewayService(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapSluiceHealth();
        return endpoints;
    }
}
