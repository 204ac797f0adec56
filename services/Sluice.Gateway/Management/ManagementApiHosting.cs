using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.ServiceDefaults;

namespace Sluice.Gateway.Management;

/// <summary>Where API Gateway's management API is bound, once Kestrel has started (port 0 resolves then).</summary>
public sealed class GatewayManagementListener
{
    internal ListenOptions? Listen { get; set; }

    /// <summary>The bound endpoint, or null when the management API is off or not started yet.</summary>
    public IPEndPoint? EndPoint => Listen?.IPEndPoint;

    /// <summary>The base URL to give the AWS CLI as --endpoint-url, or null when off.</summary>
    public string? BaseAddress => EndPoint is { } endPoint
        ? $"http://{new IPEndPoint(endPoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : endPoint.Address, endPoint.Port)}"
        : null;
}

/// <summary>
/// API Gateway's own management API (the REST JSON protocol of apigateway 2015-07-09, signed with
/// SigV4) on its own HTTP/1.1 listener: a second front end onto the state the sluice.gateway.v1
/// admin service changes.
/// </summary>
internal static class ManagementApiHosting
{
    public const string ListenerName = "Gateway.Management";

    public static void AddGatewayManagementApi(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        var listener = new GatewayManagementListener();
        builder.Services.AddSingleton(listener);
        builder.Services.AddSingleton<ManagementCredentials>();
        builder.Services.AddSingleton<RestApiOperations>();
        builder.Services.AddSingleton<StageOperations>();
        builder.Services.AddSingleton<KeyAndPlanOperations>();
        builder.Services.AddSingleton<ManagementEndpoint>();
        if (ExtraListeners.Parse(options.ManagementPort, "Sluice:Gateway:ManagementPort", options.ManagementBindAddress, "Sluice:Gateway:ManagementBindAddress") is not { } address)
        {
            return;
        }
        // The AWS CLI and SDKs speak HTTP/1.1 to API Gateway's control plane.
        builder.Services.AddTaggedListener(address, options.ManagementPort, HttpProtocols.Http1, ListenerName, listen => listener.Listen = listen);
        builder.Services.AddHostedService<ManagementAnnouncer>();
    }

    public static void MapGatewayManagementApi(this IEndpointRouteBuilder endpoints)
    {
        if (endpoints.ServiceProvider.GetRequiredService<IOptions<GatewayOptions>>().Value.ManagementPort < 0)
        {
            // Off: no endpoint, and no local key written for it.
            return;
        }
        var endpoint = endpoints.ServiceProvider.GetRequiredService<ManagementEndpoint>();
        // Endpoint conventions apply after a route group's, so this listener wins over the gRPC one the host's group requires.
        endpoints.Map("/{**path}", endpoint.HandleAsync).RequireListener(ListenerName).WithDisplayName("API Gateway management API").ShortCircuit();
    }

    /// <summary>Prints where the management API listens and, without configured keys, the local key to sign with.</summary>
    private sealed class ManagementAnnouncer(IHostApplicationLifetime lifetime, GatewayManagementListener listener, ManagementCredentials credentials, ILogger<ManagementAnnouncer> logger)
        : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStarted.Register(() =>
            {
                GatewayLog.ManagementListening(logger, listener.BaseAddress ?? "");
                if (credentials.LocalKey is { } key)
                {
                    // Printed (not only logged) so the first `aws apigateway` command can be copied.
                    Console.WriteLine($"  {"Gateway",-11} AWS    aws apigateway --endpoint-url {listener.BaseAddress}  AWS_ACCESS_KEY_ID={key.AccessKeyId} AWS_SECRET_ACCESS_KEY={key.SecretAccessKey}");
                }
            });
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
