using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Sluice.ServiceDefaults;

namespace Sluice.Query;

/// <summary>Composition of the Query service: what it registers and what it serves.</summary>
public static class QueryServiceHosting
{
    public static IHostApplicationBuilder AddQueryService(this IHostApplicationBuilder builder)
    {
        builder.AddSluiceServiceDefaults();
        return builder;
    }

    public static IEndpointRouteBuilder MapQueryService(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapSluiceHealth();
        return endpoints;
    }
}
