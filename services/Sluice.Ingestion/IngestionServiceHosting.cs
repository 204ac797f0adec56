using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Sluice.ServiceDefaults;

namespace Sluice.Ingestion;

/// <summary>Composition of the Ingestion service: what it registers and what it serves.</summary>
public static class IngestionServiceHosting
{
    public static IHostApplicationBuilder AddIngestionService(this IHostApplicationBuilder builder)
    {
        builder.AddSluiceServiceDefaults();
        return builder;
    }

    public static IEndpointRouteBuilder MapIngestionService(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapSluiceGrpcDefaults();
        return endpoints;
    }
}
