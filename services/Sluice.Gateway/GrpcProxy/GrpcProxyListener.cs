using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.ServiceDefaults;

namespace Sluice.Gateway.GrpcProxy;

/// <summary>Where the gateway's gRPC proxy listener is bound, once Kestrel has started (port 0 resolves then).</summary>
public sealed class GatewayGrpcProxyEndpoint
{
    internal ListenOptions? Listen { get; set; }

    /// <summary>The bound endpoint, or null when the proxy is off or not started yet.</summary>
    public IPEndPoint? EndPoint => Listen?.IPEndPoint;

    /// <summary>The address gRPC clients dial, http://address:port (a wildcard bind shown as loopback), or null.</summary>
    public string? Address => EndPoint is { } endPoint
        ? $"http://{new IPEndPoint(endPoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : endPoint.Address, endPoint.Port)}"
        : null;
}

/// <summary>
/// The gRPC proxy listener (Sluice:Gateway:GrpcProxyPort): cleartext HTTP/2, and every request on
/// it handled by <see cref="GrpcProxyHandler"/> ahead of routing, so that no endpoint of the host
/// (the gateway's own admin service, health, reflection) is ever reached through it.
/// </summary>
internal static class GrpcProxyListener
{
    /// <summary>A connection item set on the proxy listener's connections.</summary>
    private const string ConnectionItem = "sluice.gateway.grpc-proxy";

    public static void AddGatewayGrpcProxy(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        var endpoint = new GatewayGrpcProxyEndpoint();
        builder.Services.AddSingleton(endpoint);
        var proxy = options.GrpcProxy;
        if (ExtraListeners.Parse(options.GrpcProxyPort, "Sluice:Gateway:GrpcProxyPort", proxy.BindAddress, "Sluice:Gateway:GrpcProxy:BindAddress") is not { } address)
        {
            return;
        }
        if (proxy.MaxMessageBytes is < 1 or > 64 * 1024 * 1024)
        {
            throw new InvalidOperationException("Sluice:Gateway:GrpcProxy:MaxMessageBytes must be from 1 byte to 64 MB.");
        }
        var routes = new GrpcProxyRoutes(proxy.EffectiveAllowedMethods);
        builder.Services.AddSingleton(routes);
        builder.Services.TryAddSingleton<GrpcProxyAdmission>();
        builder.Services.TryAddSingleton<GrpcProxyHandler>();
        builder.Services.TryAddSingleton<GrpcProxyChannels>();
        builder.Services.AddSluiceLocalServiceResolver();
        builder.Services.AddSingleton<IStartupFilter, GrpcProxyStartupFilter>();
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.ListenGrpc(address, options.GrpcProxyPort, configure: listen =>
        {
            listen.Use(next => connection =>
            {
                connection.Items[ConnectionItem] = true;
                return next(connection);
            });
            endpoint.Listen = listen;
        }));
    }

    private static bool IsProxyConnection(HttpContext http) =>
        http.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(ConnectionItem) == true;

    /// <summary>Puts the proxy in front of routing (after the service defaults' own filters, such as the Kestrel repair).</summary>
    private sealed class GrpcProxyStartupFilter(GrpcProxyHandler handler, GatewayGrpcProxyEndpoint endpoint, IHostApplicationLifetime lifetime,
        ILogger<GrpcProxyHandler> logger) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            lifetime.ApplicationStarted.Register(() =>
            {
                if (endpoint.Address is { } address)
                {
                    GatewayLog.GrpcProxyListening(logger, address);
                }
            });
            app.Use((http, nextMiddleware) => IsProxyConnection(http) ? handler.HandleAsync(http) : nextMiddleware(http));
            next(app);
        };
    }
}
