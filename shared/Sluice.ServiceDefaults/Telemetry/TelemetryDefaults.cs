using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Sluice.ServiceDefaults;

/// <summary>Logging and telemetry settings, bound from "Sluice:Telemetry" and "Sluice:Logging".</summary>
public sealed class SluiceTelemetryOptions
{
    public const string SectionName = "Sluice:Telemetry";

    /// <summary>
    /// An OTLP collector (e.g. http://127.0.0.1:4317): traces, metrics and logs are exported there.
    /// Defaults to none; the standard OTEL_EXPORTER_OTLP_ENDPOINT variable works too.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>The share of new traces recorded (0 to 1); a caller's sampled flag is always honoured. Defaults to 1.</summary>
    public double TraceSampleRatio { get; set; } = 1.0;

    /// <summary>
    /// Record traces. Defaults to on when an OTLP endpoint is configured and off otherwise:
    /// recording spans that nothing exports costs every request and tells no one anything.
    /// Metrics are always on.
    /// </summary>
    public bool? Tracing { get; set; }
}

/// <summary>
/// Production defaults for what a running service says about itself: ASP.NET Core's own
/// per-request lines off (as its templates ship appsettings.json), JSON console logs on request,
/// and OpenTelemetry traces and metrics for the gRPC server, gRPC and HTTP clients, the bus and
/// PostgreSQL, exported over OTLP when a collector is configured and scraped as Prometheus
/// metrics on the admin port.
/// </summary>
public static class TelemetryDefaults
{
    /// <summary>The activity source and meter names Sluice listens to beyond the instrumentation packages.</summary>
    public static readonly string[] Sources = ["MassTransit", "Npgsql"];

    internal static void AddSluiceLogging(IHostApplicationBuilder builder)
    {
        // Lowest priority, so appsettings, environment variables and arguments still override it.
        // Only per-request categories: a Default level here would beat a host's SetMinimumLevel in
        // code. Grpc.AspNetCore logs one Information line per failed call, and Grpc.Net.Client one
        // with a stack trace per failed outgoing call (every health probe of a backend that is
        // down), and IHttpClientFactory four lines per outgoing request (every service-to-service
        // call and health probe); the status interceptor and the health checks already log what an
        // operator needs.
        var defaults = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            ["Logging:LogLevel:Grpc.AspNetCore"] = "Warning",
            ["Logging:LogLevel:Grpc.Net.Client"] = "Warning",
            ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
        };
        // ASP.NET Core's hosting diagnostics category writes only request start and finish lines,
        // yet while it is enabled at any level every request also gets an Activity and a log scope
        // (about a tenth of what a gateway request allocates). So it is off unless the operator
        // turns Microsoft.AspNetCore up to see those lines; traces, when configured, still get
        // their activities from the tracer.
        var aspNetCore = builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"];
        if (aspNetCore is null || (Enum.TryParse<LogLevel>(aspNetCore, ignoreCase: true, out var level) && level > LogLevel.Information))
        {
            defaults["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "None";
        }
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = defaults });
        var format = builder.Configuration["Sluice:Logging:Format"];
        if (string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole();
        }
        else if (!string.IsNullOrEmpty(format) && !string.Equals(format, "text", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Sluice:Logging:Format '{format}' is not supported; use text or json.");
        }
    }

    internal static void AddSluiceTelemetry(IHostApplicationBuilder builder, string serviceName)
    {
        var options = new SluiceTelemetryOptions();
        builder.Configuration.GetSection(SluiceTelemetryOptions.SectionName).Bind(options);
        if (options.TraceSampleRatio is < 0 or > 1)
        {
            throw new InvalidOperationException($"{SluiceTelemetryOptions.SectionName}:TraceSampleRatio must be between 0 and 1, not {options.TraceSampleRatio}.");
        }
        var otlp = options.OtlpEndpoint ?? builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (!string.IsNullOrEmpty(otlp) && !Uri.TryCreate(otlp, UriKind.Absolute, out _))
        {
            throw new InvalidOperationException($"{SluiceTelemetryOptions.SectionName}:OtlpEndpoint '{otlp}' is not an absolute URI.");
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(Sources)
                .AddMeter(SluiceMetrics.MeterName)
                .AddPrometheusExporter());
        if (options.Tracing ?? !string.IsNullOrEmpty(otlp))
        {
            telemetry.WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.TraceSampleRatio)))
                .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = http => !AdminEndpoints.IsAdminRequest(http))
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation()
                .AddSource(Sources));
        }
        if (!string.IsNullOrEmpty(otlp))
        {
            telemetry.UseOtlpExporter(OpenTelemetry.Exporter.OtlpExportProtocol.Grpc, new Uri(otlp));
        }
    }
}
