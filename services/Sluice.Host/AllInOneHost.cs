using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Gateway;
using Sluice.Grpc;
using Sluice.Ingestion;
using Sluice.Query;
using Sluice.ServiceDefaults;
using Sluice.Validation;

namespace Sluice.Host;

/// <summary>Composes the four services into one web application with one listener each.</summary>
public static class AllInOneHost
{
    /// <summary>The hosted services, their configuration sections and default gRPC ports.</summary>
    public static readonly IReadOnlyList<HostedService> Services =
    [
        new("Gateway", 5100, b => b.AddGatewayService(), e => e.MapGatewayService()),
        new("Ingestion", 5101, b => b.AddIngestionService(), e => e.MapIngestionService()),
        new("Query", 5102, b => b.AddQueryService(), e => e.MapQueryService()),
        new("Validation", 5103, b => b.AddValidationService(), e => e.MapValidationService()),
    ];

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var listeners = new Dictionary<string, ListenOptions>();
        var schemes = new Dictionary<string, string>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var service in Services)
            {
                var options = new SluiceListenerOptions { GrpcPort = service.DefaultGrpcPort };
                builder.Configuration.GetSection("Sluice:" + service.Name).Bind(options);
                kestrel.ListenGrpc(options.ParseBindAddress(), options.GrpcPort, options.LoadCertificate(), listen =>
                {
                    listen.TagListener(service.Name);
                    listeners[service.Name] = listen;
                    schemes[service.Name] = options.CertificatePath is null ? "http" : "https";
                });
            }
        });
        foreach (var service in Services)
        {
            service.Add(builder);
        }

        builder.AddSluiceBus(); // One bus for all four services: they contributed their consumers above.
        builder.Services.AddSingleton(new HostListeners(listeners));

        var app = builder.Build();
        foreach (var service in Services)
        {
            service.Map(app.MapGroup("").RequireListener(service.Name));
        }
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            // Printed (not only logged) so the README's first command shows where everything is.
            Console.WriteLine("Sluice is running (embedded profile):");
            foreach (var service in Services)
            {
                Console.WriteLine($"  {service.Name,-11} gRPC  {schemes[service.Name]}://{listeners[service.Name].IPEndPoint}");
            }
        });
        return app;
    }

    /// <summary>The bound gRPC endpoint of each service (after the host has started).</summary>
    public static IReadOnlyDictionary<string, System.Net.IPEndPoint> GetEndpoints(WebApplication app) =>
        app.Services.GetRequiredService<HostListeners>().Listeners.ToDictionary(l => l.Key, l => l.Value.IPEndPoint!);

    /// <summary>One service of the host.</summary>
    private sealed record HostListeners(Dictionary<string, ListenOptions> Listeners);

    public sealed record HostedService(string Name, int DefaultGrpcPort, Action<IHostApplicationBuilder> Add, Action<IEndpointRouteBuilder> Map);
}
