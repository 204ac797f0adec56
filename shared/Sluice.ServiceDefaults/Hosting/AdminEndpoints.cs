using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Sluice.ServiceDefaults;

/// <summary>The admin listener, bound from "Sluice:Admin": plain HTTP/1.1 for scrapers and probes.</summary>
public sealed class SluiceAdminOptions
{
    public const string SectionName = "Sluice:Admin";

    /// <summary>The address to bind. Defaults to 127.0.0.1.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>The port; 0 picks a free one, -1 turns the admin listener off. Each host has its own default.</summary>
    public int? Port { get; set; }
}

/// <summary>
/// What the admin listener serves: <c>/metrics</c> (Prometheus text format), <c>/healthz</c>
/// (liveness: the process answers) and <c>/readyz</c> (readiness: every health check passes, else
/// 503). Only on the admin listener, never on a gRPC one.
/// </summary>
public static class AdminEndpoints
{
    /// <summary>The listener name the admin listener's connections carry.</summary>
    public const string ListenerName = "admin";

    /// <summary>Adds the admin listener (HTTP/1.1, cleartext) unless its port is -1; returns it.</summary>
    public static ListenOptions? ListenAdmin(this KestrelServerOptions kestrel, SluiceAdminOptions options, int defaultPort)
    {
        var port = options.Port ?? defaultPort;
        if (port == -1)
        {
            return null;
        }
        if (port is < 0 or > 65535)
        {
            throw new InvalidOperationException($"{SluiceAdminOptions.SectionName}:Port must be -1 (off), 0 (any free port) or a port number, not {port}.");
        }
        if (!IPAddress.TryParse(options.BindAddress, out var address))
        {
            throw new InvalidOperationException($"{SluiceAdminOptions.SectionName}:BindAddress '{options.BindAddress}' is not an IP address.");
        }
        ListenOptions? admin = null;
        kestrel.Listen(address, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            listen.TagListener(ListenerName);
            admin = listen;
        });
        return admin;
    }

    /// <summary>Maps /metrics, /healthz and /readyz onto the admin listener.</summary>
    public static IEndpointRouteBuilder MapSluiceAdmin(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("").RequireListener(ListenerName);
        admin.MapPrometheusScrapingEndpoint("/metrics");
        admin.MapGet("/healthz", () => Results.Text("alive\n"));
        admin.MapGet("/readyz", async (HealthCheckService health, CancellationToken cancellationToken) =>
        {
            var report = await health.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
            var lines = string.Concat(report.Entries.Select(e => $"{e.Key}: {e.Value.Status}{(e.Value.Description is { } d ? " (" + d + ")" : "")}\n"));
            return Results.Text(lines, statusCode: report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
        });
        return endpoints;
    }

    internal static bool IsAdminRequest(HttpContext http) => ListenerRouting.GetListener(http) == ListenerName;
}
