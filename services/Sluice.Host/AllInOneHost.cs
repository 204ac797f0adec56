using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Gateway;
using Sluice.Ingestion;
using Sluice.Query;
using Sluice.ServiceDefaults;
using Sluice.Validation;

namespace Sluice.Host;

/// <summary>Composes the four services into one web application with one listener each.</summary>
public static class AllInOneHost
{
    /// <summary>The admin listener's default port (Sluice:Admin:Port): /metrics, /healthz, /readyz.</summary>
    public const int DefaultAdminPort = 5199;

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
        // The gateway's sample data API (samples/sales-api.yaml) is on in the embedded profile unless configured off.
        builder.Configuration["Sluice:Gateway:Sample:Enabled"] ??= "true";
        var listeners = new HostListeners();
        var admin = builder.Configuration.GetSection(SluiceAdminOptions.SectionName).Get<SluiceAdminOptions>() ?? new SluiceAdminOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var service in Services)
            {
                var options = new SluiceListenerOptions { GrpcPort = service.DefaultGrpcPort };
                builder.Configuration.GetSection("Sluice:" + service.Name).Bind(options);
                var certificate = options.LoadCertificate();
                kestrel.ListenGrpc(options.ParseBindAddress(), options.GrpcPort, certificate, listen =>
                {
                    listen.TagListener(service.Name);
                    listeners.Grpc[service.Name] = (listen, certificate);
                });
            }
            listeners.Admin = kestrel.ListenAdmin(admin, DefaultAdminPort);
        });
        // The services call each other over real gRPC on these listeners unless
        // Sluice:Services:{Name}:Address says otherwise.
        builder.Services.AddSingleton(listeners);
        builder.Services.AddSingleton<IServiceAddressResolver>(listeners);
        foreach (var service in Services)
        {
            service.Add(builder);
        }

        builder.AddSluiceBus(); // One bus for all four services: they contributed their consumers above.

        var app = builder.Build();
        // Health and reflection first and outside the groups, so that every listener serves them.
        app.MapSluiceGrpcDefaults();
        app.MapSluiceAdmin();
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
                Console.WriteLine($"  {service.Name,-11} gRPC   {listeners.AddressOf(service.Name)}");
            }
            if (listeners.Admin?.IPEndPoint is { } adminEndPoint)
            {
                Console.WriteLine($"  {"Admin",-11} HTTP   http://{adminEndPoint}/metrics, /healthz, /readyz");
            }
        });
        return app;
    }

    /// <summary>The bound gRPC endpoint of each service (after the host has started).</summary>
    public static IReadOnlyDictionary<string, IPEndPoint> GetEndpoints(WebApplication app) =>
        app.Services.GetRequiredService<HostListeners>().Grpc.ToDictionary(l => l.Key, l => l.Value.Listen.IPEndPoint!);

    /// <summary>The bound admin endpoint, or null when it is off.</summary>
    public static IPEndPoint? GetAdminEndpoint(WebApplication app) => app.Services.GetRequiredService<HostListeners>().Admin?.IPEndPoint;

    /// <summary>One service of the host.</summary>
    public sealed record HostedService(string Name, int DefaultGrpcPort, Action<IHostApplicationBuilder> Add, Action<IEndpointRouteBuilder> Map);

    /// <summary>The host's listeners, known once Kestrel has bound them.</summary>
    private sealed class HostListeners : IServiceAddressResolver
    {
        public Dictionary<string, (ListenOptions Listen, X509Certificate2? Certificate)> Grpc { get; } = new(StringComparer.Ordinal);

        public ListenOptions? Admin { get; set; }

        public Uri? Resolve(string serviceName) => Grpc.ContainsKey(serviceName) ? new Uri(AddressOf(serviceName)) : null;

        /// <summary>A TLS listener's own certificate: the host's services trust it when they call each other.</summary>
        public X509Certificate2? TrustedCertificate(string serviceName) => Grpc.TryGetValue(serviceName, out var listener) ? listener.Certificate : null;

        public string AddressOf(string serviceName)
        {
            var (listen, certificate) = Grpc[serviceName];
            var scheme = certificate is null ? "http" : "https";
            var endPoint = listen.IPEndPoint!;
            // A wildcard bind is reached on loopback from inside the process.
            var address = endPoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : endPoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : endPoint.Address;
            return $"{scheme}://{new IPEndPoint(address, endPoint.Port)}";
        }
    }
}
