using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.ServiceDefaults;

namespace Sluice.Gateway.Pipeline;

/// <summary>Where the gateway's REST listener is bound, once Kestrel has started (port 0 resolves then).</summary>
public sealed class GatewayRestEndpoint
{
    internal ListenOptions? Listen { get; set; }

    internal ListenOptions? PrivateListen { get; set; }

    /// <summary>The private listener's base URL, or null when it is off.</summary>
    public string? PrivateBaseAddress => PrivateListen?.IPEndPoint is { } endPoint ? $"http://{endPoint}" : null;

    /// <summary>The bound endpoint, or null when the REST listener is off or not started yet.</summary>
    public IPEndPoint? EndPoint => Listen?.IPEndPoint;

    /// <summary>The base URL, http://address:port, with a wildcard bind shown as loopback.</summary>
    public string? BaseAddress => EndPoint is { } endPoint
        ? $"http://{new IPEndPoint(endPoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : endPoint.Address, endPoint.Port)}"
        : null;
}

/// <summary>The REST listener: HTTP/1.1 (and h2 where TLS negotiates it) on its own port, every path to the pipeline.</summary>
internal static class GatewayRestListener
{
    public const string ListenerName = "Gateway.Rest";
    public const string PrivateListenerName = "Gateway.Private";

    public static void AddGatewayRestListener(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        var endpoint = new GatewayRestEndpoint();
        builder.Services.AddSingleton(endpoint);
        if (ExtraListeners.Parse(options.RestPort, "Sluice:Gateway:RestPort", options.RestBindAddress, "Sluice:Gateway:RestBindAddress") is not { } address)
        {
            return;
        }
        builder.Services.AddTaggedListener(address, options.RestPort, options.RestProtocols, ListenerName, listen => endpoint.Listen = listen);
        var privateOptions = options.Private;
        if (ExtraListeners.Parse(privateOptions.Port, "Sluice:Gateway:Private:Port", privateOptions.BindAddress, "Sluice:Gateway:Private:BindAddress") is { } privateAddress)
        {
            builder.Services.AddTaggedListener(privateAddress, privateOptions.Port, options.RestProtocols, PrivateListenerName, listen => endpoint.PrivateListen = listen);
        }
    }

    /// <summary>
    /// Puts the REST pipeline in front of routing, for the REST and private listeners' requests
    /// (except gRPC calls, which go on to the health and reflection services every listener maps).
    /// Endpoint routing matched every such request to the catch-all route below anyway, at the cost
    /// of a route-value dictionary and a candidate set per request. Register it after the access
    /// log's filter, so that access logging still wraps the pipeline.
    /// </summary>
    public static void AddGatewayRestPipeline(this IHostApplicationBuilder builder) =>
        builder.Services.AddSingleton<IStartupFilter, GatewayRestStartupFilter>();

    /// <summary>The catch-all routes: requests the startup filter leaves to routing (gRPC content types) still reach the pipeline.</summary>
    public static void MapGatewayRest(this IEndpointRouteBuilder endpoints)
    {
        var pipeline = endpoints.ServiceProvider.GetRequiredService<GatewayPipeline>();
        // Endpoint conventions apply after a route group's, so this listener wins over the gRPC one the host's group requires.
        endpoints.Map("/{**path}", http => pipeline.HandleAsync(http)).RequireListener(ListenerName).WithDisplayName("Gateway REST").ShortCircuit();
        endpoints.Map("/{**path}", http => pipeline.HandleAsync(http, isPrivate: true)).RequireListener(PrivateListenerName).WithDisplayName("Gateway private REST").ShortCircuit();
    }

    private sealed class GatewayRestStartupFilter(GatewayPipeline pipeline) : IStartupFilter
    {
        // What the catch-all route gave telemetry (http.route in request metrics and traces).
        private static readonly Endpoint RestEndpoint = new(null, new EndpointMetadataCollection(new CatchAllRoute()), "Gateway REST");
        private static readonly Endpoint PrivateEndpoint = new(null, new EndpointMetadataCollection(new CatchAllRoute()), "Gateway private REST");

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                if (http.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) != true)
                {
                    switch (ListenerRouting.GetListener(http))
                    {
                        case ListenerName:
                            http.SetEndpoint(RestEndpoint);
                            return pipeline.HandleAsync(http);
                        case PrivateListenerName:
                            http.SetEndpoint(PrivateEndpoint);
                            return pipeline.HandleAsync(http, isPrivate: true);
                    }
                }
                return nextMiddleware(http);
            });
            next(app);
        };

        private sealed class CatchAllRoute : Microsoft.AspNetCore.Http.Metadata.IRouteDiagnosticsMetadata
        {
            public string Route => "/{**path}";
        }
    }
}
