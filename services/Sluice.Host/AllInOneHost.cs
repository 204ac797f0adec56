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
        foreach (var service in Services)
        {
            var options = new SluiceListenerOptions { GrpcPort = service.DefaultGrpcPort };
            builder.Configuration.GetSection("Sluice:" + service.Name).Bind(options);
            listeners.Grpc[service.Name] = new HostListener(options, options.LoadCertificate());
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var service in Services)
            {
                var listener = listeners.Grpc[service.Name];
                kestrel.ListenGrpc(listener.Options.ParseBindAddress(), listener.Options.GrpcPort, listener.Certificate, listen =>
                {
                    listen.TagListener(service.Name);
                    listener.Listen = listen;
                });
            }
            listeners.Admin = kestrel.ListenAdmin(admin, DefaultAdminPort);
        });
        // The services call each other over real gRPC on these listeners unless
        // Sluice:Services:{Name}:Address says otherwise.
        builder.Services.AddSingleton(listeners);
        builder.Services.AddSingleton<ILocalServiceDirectory>(listeners);
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
            listeners.MarkBound();
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
        app.Services.GetRequiredService<HostListeners>().Grpc.ToDictionary(l => l.Key, l => l.Value.Listen!.IPEndPoint!);

    /// <summary>The bound admin endpoint, or null when it is off.</summary>
    public static IPEndPoint? GetAdminEndpoint(WebApplication app) => app.Services.GetRequiredService<HostListeners>().Admin?.IPEndPoint;

    /// <summary>One service of the host.</summary>
    public sealed record HostedService(string Name, int DefaultGrpcPort, Action<IHostApplicationBuilder> Add, Action<IEndpointRouteBuilder> Map);

    /// <summary>The host's listeners: configured when the host is built, bound when it has started.</summary>
    private sealed class HostListeners : ILocalServiceDirectory
    {
        public Dictionary<string, HostListener> Grpc { get; } = new(StringComparer.OrdinalIgnoreCase);

        public ListenOptions? Admin { get; set; }

        public LocalServiceListener? Find(string serviceName) => Grpc.TryGetValue(serviceName, out var listener) ? listener : null;

        /// <summary>Kestrel has bound every listener (called when the host has started).</summary>
        public void MarkBound()
        {
            foreach (var listener in Grpc.Values)
            {
                listener.Bound.TrySetResult();
            }
        }

        public string AddressOf(string serviceName)
        {
            var listener = Grpc[serviceName];
            return $"{(listener.Certificate is null ? "http" : "https")}://{listener.Reachable()}";
        }
    }

    /// <summary>One service's gRPC listener.</summary>
    private sealed class HostListener(SluiceListenerOptions options, X509Certificate2? certificate) : LocalServiceListener
    {
        public SluiceListenerOptions Options { get; } = options;

        public ListenOptions? Listen { get; set; }

        public TaskCompletionSource Bound { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override X509Certificate2? Certificate { get; } = certificate;

        public override async Task<IPEndPoint> GetEndPointAsync(CancellationToken cancellationToken)
        {
            // A fixed port is known before binding (a connection made too early is refused and
            // retried like any other); port 0 is chosen by the bind, known once the host has started.
            if (Listen?.IPEndPoint is not { Port: > 0 })
            {
                await Bound.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            return Reachable();
        }

        /// <summary>The bound endpoint as reached from inside the process: a wildcard bind on loopback.</summary>
        public IPEndPoint Reachable()
        {
            var endPoint = Listen?.IPEndPoint ?? throw new InvalidOperationException("The listener has not been configured yet.");
            var address = endPoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : endPoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : endPoint.Address;
            return new IPEndPoint(address, endPoint.Port);
        }
    }
}
