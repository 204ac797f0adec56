using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Sluice.Transports.AmazonSqs.Tests;

[Collection(FauxqsCollection.Name)]
public sealed class RoundTripTests(FauxqsFixture fauxqs)
{
    [Fact]
    public async Task Publish_ConsumersOnTwoEndpoints_EachReceivesThroughSnsTopic()
    {
        var seenA = new Observed<OrderPlaced>();
        var seenB = new Observed<OrderPlaced>();
        var settings = fauxqs.HostSettings();
        await using var bus = await BusHarness.StartAsync(settings, x =>
        {
            x.AddConsumer<OrderPlacedConsumerA>();
            x.AddConsumer<OrderPlacedConsumerB>();
        }, s => s.AddSingleton(seenA).AddKeyedSingleton("b", seenB));

        var order = new OrderPlaced(Guid.NewGuid(), "ada");
        await bus.Bus.Publish(order);

        Assert.Equal(order, Assert.Single(await seenA.WaitForAsync(1)));
        Assert.Equal(order, Assert.Single(await seenB.WaitForAsync(1)));

        // One topic per message type, subscribed by each consuming queue (raw delivery: the queue holds the envelope).
        using var sqs = fauxqs.CreateSqsClient();
        var queues = await sqs.ListQueuesAsync(settings.Scope!);
        Assert.Contains(queues.QueueUrls, u => u.EndsWith("_OrderPlacedConsumerA", StringComparison.Ordinal));
        Assert.Contains(queues.QueueUrls, u => u.EndsWith("_OrderPlacedConsumerA_error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_ToQueueByShortAddress_ConsumerReceives()
    {
        var seen = new Observed<OrderPlaced>();
        await using var bus = await BusHarness.StartAsync(fauxqs.HostSettings(), x => x.AddConsumer<OrderPlacedConsumerA>(), s => s.AddSingleton(seen));

        var endpoint = await bus.Bus.GetSendEndpoint(new Uri("queue:OrderPlacedConsumerA"));
        var orders = Enumerable.Range(0, 25).Select(i => new OrderPlaced(Guid.NewGuid(), $"c{i}")).ToList();
        await Task.WhenAll(orders.Select(o => endpoint.Send(o)));

        var received = await seen.WaitForAsync(orders.Count);
        Assert.Equal(orders.OrderBy(o => o.OrderId), received.OrderBy(o => o.OrderId));
    }

    [Fact]
    public async Task Request_PublishedToConsumer_ResponseReturnsThroughBusQueue()
    {
        await using var bus = await BusHarness.StartAsync(fauxqs.HostSettings(), x => x.AddConsumer<PingConsumer>());

        var client = bus.Bus.CreateRequestClient<PingRequest>(BusHarness.Timeout);
        var response = await client.GetResponse<PongResponse>(new PingRequest("hello"));

        Assert.Equal("pong: hello", response.Message.Text);
    }

    [Fact]
    public async Task Consume_ConsumerThrows_MessageMovedToErrorQueueWithFaultHeadersWithinTen()
    {
        var settings = fauxqs.HostSettings();
        var faults = new Observed<Fault<FailingWork>>();
        await using var bus = await BusHarness.StartAsync(settings, x =>
        {
            x.AddConsumer<FailingWorkConsumer>();
            x.AddConsumer<FaultObserver>();
        }, s => s.AddSingleton(faults));

        var work = new FailingWork(Guid.NewGuid());
        await bus.Bus.Publish(work);
        var fault = Assert.Single(await faults.WaitForAsync(1));
        Assert.Equal(work.WorkId, fault.Message.WorkId);
        Assert.Contains("work refused", fault.Exceptions.Single().Message, StringComparison.Ordinal);

        using var sqs = fauxqs.CreateSqsClient();
        var errorQueue = await sqs.GetQueueUrlAsync($"{settings.Scope}_FailingWork_error");
        var moved = await ReceiveOneAsync(sqs, errorQueue.QueueUrl);
        Assert.Contains(work.WorkId.ToString(), moved.Body, StringComparison.Ordinal);
        Assert.InRange(moved.MessageAttributes.Count, 1, 10);
        Assert.True(moved.MessageAttributes.TryGetValue(MessageHeaders.FaultExceptionType, out var exceptionType),
            "attributes: " + string.Join(", ", moved.MessageAttributes.Select(a => $"{a.Key}={a.Value.StringValue}")));
        Assert.Equal(typeof(InvalidOperationException).FullName, exceptionType.StringValue);
    }

    [Fact]
    public async Task Send_FifteenHeaders_AtMostTenAttributesAndAllHeadersReachConsumer()
    {
        var settings = fauxqs.HostSettings();
        var seen = new Observed<IReadOnlyDictionary<string, object>>();
        await using var bus = await BusHarness.StartAsync(settings, x => x.AddConsumer<HeaderRecorder>(), s => s.AddSingleton(seen));

        // A queue nobody consumes, to look at what the transport wrote.
        var parked = await bus.Bus.GetSendEndpoint(new Uri("queue:parked"));
        var consumed = await bus.Bus.GetSendEndpoint(new Uri("queue:HeaderRecorder"));
        var order = new OrderPlaced(Guid.NewGuid(), "grace");
        void AddHeaders(SendContext context)
        {
            for (var i = 0; i < 15; i++)
            {
                context.Headers.Set($"X-Test-{i:00}", $"value-{i}");
            }
        }
        await parked.Send(order, (SendContext<OrderPlaced> c) => AddHeaders(c));
        await consumed.Send(order, (SendContext<OrderPlaced> c) => AddHeaders(c));

        using var sqs = fauxqs.CreateSqsClient();
        var queue = await sqs.GetQueueUrlAsync($"{settings.Scope}_parked");
        var raw = await ReceiveOneAsync(sqs, queue.QueueUrl);
        Assert.InRange(raw.MessageAttributes.Count, 1, SqsHeadersLimit);
        Assert.Equal("application/vnd.masstransit+json", raw.MessageAttributes[MessageHeaders.ContentType].StringValue);
        using var envelope = JsonDocument.Parse(raw.Body);
        var envelopeHeaders = envelope.RootElement.GetProperty("headers");
        for (var i = 0; i < 15; i++)
        {
            Assert.Equal($"value-{i}", envelopeHeaders.GetProperty($"X-Test-{i:00}").GetString());
        }

        var headers = Assert.Single(await seen.WaitForAsync(1));
        for (var i = 0; i < 15; i++)
        {
            Assert.Equal($"value-{i}", headers[$"X-Test-{i:00}"]?.ToString());
        }
    }

    private const int SqsHeadersLimit = 10;

    internal static async Task<Amazon.SQS.Model.Message> ReceiveOneAsync(Amazon.SQS.AmazonSQSClient sqs, string queueUrl)
    {
        using var cancellation = new CancellationTokenSource(BusHarness.Timeout);
        while (true)
        {
            var response = await sqs.ReceiveMessageAsync(new Amazon.SQS.Model.ReceiveMessageRequest
            {
                QueueUrl = queueUrl, MaxNumberOfMessages = 1, WaitTimeSeconds = 5, MessageAttributeNames = ["All"],
                MessageSystemAttributeNames = ["All"],
            }, cancellation.Token);
            if (response.Messages is [var message, ..])
            {
                message.MessageAttributes ??= [];
                return message;
            }
        }
    }
}

public sealed class OrderPlacedConsumerA(Observed<OrderPlaced> seen) : IConsumer<OrderPlaced>
{
    public Task Consume(ConsumeContext<OrderPlaced> context)
    {
        seen.Add(context.Message);
        return Task.CompletedTask;
    }
}

public sealed class OrderPlacedConsumerB([FromKeyedServices("b")] Observed<OrderPlaced> seen) : IConsumer<OrderPlaced>
{
    public Task Consume(ConsumeContext<OrderPlaced> context)
    {
        seen.Add(context.Message);
        return Task.CompletedTask;
    }
}

public sealed class PingConsumer : IConsumer<PingRequest>
{
    public Task Consume(ConsumeContext<PingRequest> context) => context.RespondAsync(new PongResponse("pong: " + context.Message.Text));
}

public sealed class FailingWorkConsumer : IConsumer<FailingWork>
{
    public Task Consume(ConsumeContext<FailingWork> context) => throw new InvalidOperationException("work refused");
}

public sealed class FaultObserver(Observed<Fault<FailingWork>> seen) : IConsumer<Fault<FailingWork>>
{
    public Task Consume(ConsumeContext<Fault<FailingWork>> context)
    {
        seen.Add(context.Message);
        return Task.CompletedTask;
    }
}

public sealed class HeaderRecorder(Observed<IReadOnlyDictionary<string, object>> seen) : IConsumer<OrderPlaced>
{
    public Task Consume(ConsumeContext<OrderPlaced> context)
    {
        seen.Add(context.Headers.GetAll().ToDictionary(h => h.Key, h => h.Value));
        return Task.CompletedTask;
    }
}
