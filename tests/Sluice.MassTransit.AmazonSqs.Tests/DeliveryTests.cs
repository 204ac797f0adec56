using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Sluice.Transports.AmazonSqs.Tests;

[Collection(FauxqsCollection.Name)]
public sealed class DeliveryTests(FauxqsFixture fauxqs)
{
    private static readonly TimeSpan ClockSlack = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task Consume_MessageReceivedBeforeByAnotherReader_MarkedRedelivered()
    {
        var settings = fauxqs.HostSettings();
        var seen = new Observed<(OrderPlaced Message, bool Redelivered)>();

        // First run deploys the queue; the bus is then stopped and a message left in the queue.
        await (await BusHarness.StartAsync(settings, x => x.AddConsumer<RedeliveryRecorder>(), s => s.AddSingleton(seen))).DisposeAsync();
        using var sqs = fauxqs.CreateSqsClient();
        var queueUrl = (await sqs.GetQueueUrlAsync($"{settings.Scope}_RedeliveryRecorder")).QueueUrl;
        var fresh = new OrderPlaced(Guid.NewGuid(), "fresh");
        var handedOut = new OrderPlaced(Guid.NewGuid(), "handed-out");
        await using (var sender = await BusHarness.StartAsync(fauxqs.HostSettings(settings.Scope), _ => { }))
        {
            var endpoint = await sender.Bus.GetSendEndpoint(new Uri("queue:RedeliveryRecorder"));
            await endpoint.Send(handedOut);

            // Another reader takes it and lets it go without deleting it, as a crashed consumer would.
            var taken = await RoundTripTests.ReceiveOneAsync(sqs, queueUrl);
            await sqs.ChangeMessageVisibilityAsync(queueUrl, taken.ReceiptHandle, 0);
            await endpoint.Send(fresh);
        }

        await using var bus = await BusHarness.StartAsync(fauxqs.HostSettings(settings.Scope), x => x.AddConsumer<RedeliveryRecorder>(), s => s.AddSingleton(seen));
        var received = await seen.WaitForAsync(2);
        Assert.True(received.Single(r => r.Message == handedOut).Redelivered);
        Assert.False(received.Single(r => r.Message == fresh).Redelivered);
    }

    [Fact]
    public async Task Consume_ConsumerRunsThreeTimesTheVisibilityTimeout_DeliveredOnceAndDeleted()
    {
        var settings = fauxqs.HostSettings();
        var seen = new Observed<SlowWork>();
        await using var bus = await BusHarness.StartAsync(settings, x => x.AddConsumer<SlowWorker>(), s => s.AddSingleton(seen),
            (context, cfg) => cfg.ReceiveEndpoint("slow", e =>
            {
                e.VisibilityTimeout = 2;
                e.ConcurrentMessageLimit = 4;
                e.ConfigureConsumer<SlowWorker>(context);
            }));

        var work = new SlowWork(Guid.NewGuid(), 6);
        var endpoint = await bus.Bus.GetSendEndpoint(new Uri("queue:slow"));
        await endpoint.Send(work);
        Assert.Single(await seen.WaitForAsync(1));

        // Once the consumer finished the message is gone: not waiting, not in flight.
        using var sqs = fauxqs.CreateSqsClient();
        var queueUrl = (await sqs.GetQueueUrlAsync($"{settings.Scope}_slow")).QueueUrl;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var attributes = await sqs.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
            if (attributes.ApproximateNumberOfMessages == 0 && attributes.ApproximateNumberOfMessagesNotVisible == 0)
            {
                break;
            }
            Assert.True(deadline.Elapsed < BusHarness.Timeout, "the finished message was never deleted");
            await Task.Delay(100);
        }

        // A lease that was not extended would have let SQS hand the message out again while the consumer ran.
        Assert.Single(seen.Items);
    }

    [Fact]
    public async Task Send_WithDelay_ArrivesNoSoonerThanDue()
    {
        var seen = new Observed<(OrderPlaced Message, DateTime At)>();
        await using var bus = await BusHarness.StartAsync(fauxqs.HostSettings(), x => x.AddConsumer<TimedRecorder>(), s => s.AddSingleton(seen));

        var endpoint = await bus.Bus.GetSendEndpoint(new Uri("queue:TimedRecorder"));
        var order = new OrderPlaced(Guid.NewGuid(), "later");
        var sentAt = DateTime.UtcNow;
        await endpoint.Send(order, (SendContext<OrderPlaced> c) => c.Delay = TimeSpan.FromSeconds(3));

        var (message, at) = Assert.Single(await seen.WaitForAsync(1));
        Assert.Equal(order, message);
        // Not before its delay (less the clock slack between two readings on this machine).
        Assert.True(at - sentAt >= TimeSpan.FromSeconds(3) - ClockSlack, $"delivered after {(at - sentAt).TotalSeconds:F3} s");
    }

    [Fact]
    public async Task Publish_WithDelay_HopsUntilDue()
    {
        // SNS holds nothing back: a delayed publish carries its due time and the receiving queue holds it.
        var seen = new Observed<(OrderPlaced Message, DateTime At)>();
        await using var bus = await BusHarness.StartAsync(fauxqs.HostSettings(), x => x.AddConsumer<TimedRecorder>(), s => s.AddSingleton(seen));

        var order = new OrderPlaced(Guid.NewGuid(), "published-later");
        var sentAt = DateTime.UtcNow;
        await bus.Bus.Publish(order, (PublishContext<OrderPlaced> c) => c.Delay = TimeSpan.FromSeconds(3));

        var (message, at) = Assert.Single(await seen.WaitForAsync(1));
        Assert.Equal(order, message);
        // Not before its delay (less the clock slack between two readings on this machine).
        Assert.True(at - sentAt >= TimeSpan.FromSeconds(3) - ClockSlack, $"delivered after {(at - sentAt).TotalSeconds:F3} s");
    }

    [Fact]
    public async Task Send_FifoQueueOneCorrelation_InOrderAndNeverConcurrent()
    {
        var seen = new Observed<Tick>();
        var gate = new ConcurrencyGauge();
        await using var bus = await BusHarness.StartAsync(fauxqs.HostSettings(), x => x.AddConsumer<TickConsumer>(),
            s => s.AddSingleton(seen).AddSingleton(gate),
            (context, cfg) => cfg.ReceiveEndpoint("ticks.fifo", e =>
            {
                e.PrefetchCount = 10;
                e.ConcurrentMessageLimit = 10;
                e.ConfigureConsumer<TickConsumer>(context);
            }));

        var endpoint = await bus.Bus.GetSendEndpoint(new Uri("queue:ticks.fifo"));
        var statementA = Guid.NewGuid();
        var statementB = Guid.NewGuid();
        for (var i = 0; i < 15; i++)
        {
            await endpoint.Send(new Tick(statementA, i), (SendContext<Tick> c) => c.CorrelationId = statementA);
            await endpoint.Send(new Tick(statementB, i), (SendContext<Tick> c) => c.CorrelationId = statementB);
        }

        var received = await seen.WaitForAsync(30);
        Assert.Equal(Enumerable.Range(0, 15), received.Where(t => t.CorrelationId == statementA).Select(t => t.Sequence));
        Assert.Equal(Enumerable.Range(0, 15), received.Where(t => t.CorrelationId == statementB).Select(t => t.Sequence));
        Assert.Equal(1, gate.MaxPerKey);
    }
}

public sealed class RedeliveryRecorder(Observed<(OrderPlaced, bool)> seen) : IConsumer<OrderPlaced>
{
    public Task Consume(ConsumeContext<OrderPlaced> context)
    {
        seen.Add((context.Message, context.ReceiveContext.Redelivered));
        return Task.CompletedTask;
    }
}

public sealed class SlowWorker(Observed<SlowWork> seen) : IConsumer<SlowWork>
{
    public async Task Consume(ConsumeContext<SlowWork> context)
    {
        // The work itself takes this long; the test is about the lease held meanwhile.
        await Task.Delay(TimeSpan.FromSeconds(context.Message.Seconds), context.CancellationToken);
        seen.Add(context.Message);
    }
}

public sealed class TimedRecorder(Observed<(OrderPlaced, DateTime)> seen) : IConsumer<OrderPlaced>
{
    public Task Consume(ConsumeContext<OrderPlaced> context)
    {
        seen.Add((context.Message, DateTime.UtcNow));
        return Task.CompletedTask;
    }
}

public sealed class ConcurrencyGauge
{
    private readonly Dictionary<Guid, int> _active = [];

    public int MaxPerKey { get; private set; }

    public void Enter(Guid key)
    {
        lock (_active)
        {
            _active[key] = _active.GetValueOrDefault(key) + 1;
            MaxPerKey = Math.Max(MaxPerKey, _active[key]);
        }
    }

    public void Leave(Guid key)
    {
        lock (_active)
        {
            _active[key]--;
        }
    }
}

public sealed class TickConsumer(Observed<Tick> seen, ConcurrencyGauge gate) : IConsumer<Tick>
{
    public async Task Consume(ConsumeContext<Tick> context)
    {
        gate.Enter(context.Message.CorrelationId);
        try
        {
            // Long enough for a second message of the group to overlap if the transport allowed it.
            await Task.Yield();
            await Task.Delay(20);
            seen.Add(context.Message);
        }
        finally
        {
            gate.Leave(context.Message.CorrelationId);
        }
    }
}
