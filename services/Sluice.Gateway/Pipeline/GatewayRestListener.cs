using System.Net;
using Microsoft.AspNetCore.Builder;
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

    public static void MapGatewayRest(this IEndpointRouteBuilder endpoints)
    {
        var pipeline = endpoints.ServiceProvider.GetRequiredService<GatewayPipeline>();
        // Endpoint conventions apply after a route group's, so this listener wins over the gRPC one the host's group requires.
        endpoints.Map("/{**path}", http => pipeline.HandleAsync(http)).RequireListener(ListenerName).WithDisplayName("Gateway REST").ShortCircuit();
        endpoints.Map("/{**path}", http => pipeline.HandleAsync(http, isPrivate: true)).RequireListener(PrivateListenerName).WithDisplayName("Gateway private REST").ShortCircuit();
    }
}
