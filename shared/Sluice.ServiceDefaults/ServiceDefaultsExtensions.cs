using System.Reflection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Sluice.ServiceDefaults.Kestrel;

namespace Sluice.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    private sealed class Marker;

    /// <summary>
    /// Registers what every Sluice service needs, once per host (the all-in-one host adds four
    /// services to one container): gRPC on Grpc.AspNetCore with one status interceptor, limits and
    /// compression from "Sluice:Grpc"; grpc.health.v1 backed by health checks ("Sluice:Health");
    /// server reflection; the Kestrel stream-reuse repair in front of every request; logging and
    /// telemetry defaults ("Sluice:Logging", "Sluice:Telemetry").
    /// </summary>
    public static IHostApplicationBuilder AddSluiceServiceDefaults(this IHostApplicationBuilder builder)
    {
        if (builder.Properties.ContainsKey(typeof(Marker)))
        {
            return builder;
        }
        builder.Properties[typeof(Marker)] = new Marker();

        TelemetryDefaults.AddSluiceLogging(builder);
        var serviceName = builder.Configuration["Sluice:Telemetry:ServiceName"] ?? Assembly.GetEntryAssembly()?.GetName().Name ?? "sluice";
        TelemetryDefaults.AddSluiceTelemetry(builder, serviceName);
        GrpcDefaultsExtensions.AddSluiceGrpc(builder);
        HealthDefaults.AddSluiceHealth(builder);
        builder.Services.AddTransient<IStartupFilter, StreamReuseRepairStartupFilter>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ListenerMatcherPolicy>());
        return builder;
    }
}
