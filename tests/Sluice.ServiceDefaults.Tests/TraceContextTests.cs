using System.Diagnostics;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Sluice.Contracts.Messages;
using Sluice.Query;
using Sluice.Query.V1;

namespace Sluice.ServiceDefaults.Tests;

/// <summary>
/// Trace context from a gRPC call through the broker into the statement saga and back out, as
/// the service defaults' OpenTelemetry set-up records it (the in-memory exporter stands in for a
/// collector).
/// </summary>
public sealed class TraceContextTests
{
    [Fact]
    public async Task ExecuteStatement_WithEvent_OneTraceHoldsTheCallTheMessagesAndTheSagaSteps()
    {
        var exported = new List<Activity>();
        var data = Path.Combine(Path.GetTempPath(), "sluice-defaults-tests", Guid.NewGuid().ToString("N"));
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["Sluice:Query:DataDirectory"] = data;
        builder.Configuration["Sluice:Query:DataApiPort"] = "-1";
        builder.Configuration["Sluice:Telemetry:Tracing"] = "true"; // No OTLP endpoint here: the in-memory exporter below.
        ListenOptions? grpc = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(IPAddress.Loopback, 0, configure: listen => grpc = listen));
        builder.AddQueryService();
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(exported));
        builder.AddSluiceBus();
        await using var app = builder.Build();
        app.MapQueryService();
        await app.StartAsync();
        try
        {
            using var channel = GrpcChannel.ForAddress($"http://{grpc!.IPEndPoint}");
            var client = new QueryService.QueryServiceClient(channel);

            var accepted = await client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT count(*) FROM sales", WithEvent = true }, deadline: DateTime.UtcNow.AddSeconds(30));
            // The saga consumes the statement's end after the call returned: wait (bounded) until
            // its steps are exported, then check they all belong to the call's trace.
            var spans = await WaitForSpansAsync(app, exported, all =>
                all.Any(s => SagaStep(s, nameof(StatementEnded)))
                && all.Any(s => s.Kind == ActivityKind.Producer && s.DisplayName.Contains(nameof(StatementFinished))));
            var call = Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.DisplayName.Contains("ExecuteStatement"));
            var trace = spans.Where(s => s.TraceId == call.TraceId).ToList();
            var names = string.Join(", ", trace.Select(s => $"{s.Source.Name}:{s.Kind}:{s.DisplayName}"));
            // Into the broker: the statement's lifecycle events are published within the call's trace.
            Assert.True(trace.Any(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer), names);
            // Into the saga: its consume steps belong to the same trace.
            var steps = trace.Where(s => SagaStep(s, nameof(StatementSubmitted)) || SagaStep(s, nameof(StatementStarted)) || SagaStep(s, nameof(StatementEnded))).ToList();
            Assert.Equal(3, steps.Count);
            Assert.All(steps, step => Assert.Equal(accepted.Id, step.GetTagItem("messaging.masstransit.correlation_id")?.ToString()));
            // And back out: the public completion event goes out in the same trace.
            Assert.True(trace.Any(s => s.Kind == ActivityKind.Producer && s.DisplayName.Contains(nameof(StatementFinished))), names);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    /// <summary>The statement saga handling one message of type <paramref name="messageType"/>.</summary>
    private static bool SagaStep(Activity span, string messageType) =>
        span.Source.Name == "MassTransit" && span.Kind == ActivityKind.Consumer && span.DisplayName == "StatementState process"
        && span.GetTagItem("messaging.masstransit.message_types") is string types && types.EndsWith(":" + messageType, StringComparison.Ordinal);

    private static async Task<List<Activity>> WaitForSpansAsync(WebApplication app, List<Activity> exported, Func<List<Activity>, bool> done)
    {
        var tracer = app.Services.GetRequiredService<TracerProvider>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            tracer.ForceFlush(5_000);
            List<Activity> spans;
            lock (exported)
            {
                spans = [.. exported];
            }
            if (done(spans) || DateTime.UtcNow > deadline)
            {
                return spans;
            }
            await Task.Delay(100);
        }
    }
}
