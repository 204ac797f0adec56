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
/// Trace context from a gRPC call through the broker into a subscriber and back, as the service
/// defaults' OpenTelemetry set-up records it (the in-memory exporter stands in for a collector).
/// </summary>
public sealed class TraceContextTests
{
    [Fact]
    public async Task ExecuteStatement_WithEvent_OneTraceHoldsTheCallItsEventsAndTheirConsumer()
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
        builder.AddSluiceBusParticipant(bus => bus.AddConsumer<FinishedSubscriber>());
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(exported));
        builder.AddSluiceBus();
        await using var app = builder.Build();
        app.MapQueryService();
        await app.StartAsync();
        try
        {
            using var channel = GrpcChannel.ForAddress($"http://{grpc!.IPEndPoint}");
            var client = new QueryService.QueryServiceClient(channel);

            await client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT count(*) FROM sales", WithEvent = true }, deadline: DateTime.UtcNow.AddSeconds(30));
            // The subscriber consumes the statement's end after the call returned: wait (bounded)
            // until its step is exported, then check it belongs to the call's trace.
            var spans = await WaitForSpansAsync(app, exported, all => all.Any(s => Consumed(s, nameof(StatementFinished))));
            var call = Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.DisplayName.Contains("ExecuteStatement"));
            var trace = spans.Where(s => s.TraceId == call.TraceId).ToList();
            var names = string.Join(", ", trace.Select(s => $"{s.Source.Name}:{s.Kind}:{s.DisplayName}"));
            // Into the broker: the statement's lifecycle events and its end are published within the call's trace.
            foreach (var published in new[] { nameof(StatementSubmitted), nameof(StatementStarted), nameof(StatementFinished) })
            {
                Assert.True(trace.Any(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer && s.DisplayName.Contains(published)), $"No {published} published in the call's trace: {names}");
            }
            // And out to whoever subscribes: the subscriber's receive and consume steps belong to the same trace.
            Assert.Contains(trace, s => Consumed(s, nameof(StatementFinished)));
        }
        finally
        {
            await app.StopAsync();
        }
    }

    /// <summary>A consumer handling one message of type <paramref name="messageType"/>.</summary>
    private static bool Consumed(Activity span, string messageType) =>
        span.Source.Name == "MassTransit" && span.Kind == ActivityKind.Consumer
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

/// <summary>Subscribes to the completion event, as another service would.</summary>
public sealed class FinishedSubscriber : MassTransit.IConsumer<StatementFinished>
{
    public Task Consume(MassTransit.ConsumeContext<StatementFinished> context) => Task.CompletedTask;
}
