using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Sluice.ServiceDefaults;

namespace Sluice.Validation;

/// <summary>Composition of the Validation service: what it registers and what it serves.</summary>
public static class ValidationServiceHosting
{
    public static IHostApplicationBuilder AddValidationService(this IHostApplicationBuilder builder)
    {
        builder.AddSluiceServiceDefaults();
        return builder;
    }

    public static IEndpointRouteBuilder MapValidationService(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapSluiceHealth();
        return endpoints;
    }
}
