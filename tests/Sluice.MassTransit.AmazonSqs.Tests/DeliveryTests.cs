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

        // Once the consumer finished the message is gone: not waiting, not in flight, and not
        // coming back once the endpoint stops holding anything.
        await AssertQueueEmptiesAsync($"{settings.Scope}_slow");
        await bus.Bus.StopAsync();
        await AssertNothingComesBackAsync($"{settings.Scope}_slow", visibilityTimeout: 2);

        // A lease that was not extended would have let SQS hand the message out again while the consumer ran.
        Assert.Single(seen.Items);
    }

    [Fact]
    public async Task Consume_LeaseRunsOutWhileTheConsumerRuns_NewerReceiptDeletedAndConsumedOnce()
    {
        // Extending stops at MaxVisibilityTimeout, so SQS hands the message out again (a new receipt
        // handle) while the first consumer still works; the same happens when a loaded machine
        // sends an extension too late. The endpoint holds the second receipt back as a duplicate,
        // and when the first consumer finishes, the message must be deleted through the newer
        // receipt: the first one no longer deletes anything.
        var settings = fauxqs.HostSettings();
        var seen = new Observed<SlowWork>();
        await using var bus = await BusHarness.StartAsync(settings, x => x.AddConsumer<SlowWorker>(), s => s.AddSingleton(seen),
            (context, cfg) => cfg.ReceiveEndpoint("lapsing", e =>
            {
                e.VisibilityTimeout = 4;
                e.MaxVisibilityTimeout = TimeSpan.FromSeconds(4);
                e.ConcurrentMessageLimit = 4;
                e.ConfigureConsumer<SlowWorker>(context);
            }));

        var endpoint = await bus.Bus.GetSendEndpoint(new Uri("queue:lapsing"));
        await endpoint.Send(new SlowWork(Guid.NewGuid(), 10));
        Assert.Single(await seen.WaitForAsync(1));

        await AssertQueueEmptiesAsync($"{settings.Scope}_lapsing");
        await bus.Bus.StopAsync();
        await AssertNothingComesBackAsync($"{settings.Scope}_lapsing", visibilityTimeout: 4);
        Assert.Single(seen.Items);
    }

    [Theory]
    [InlineData(0, 30, "VisibilityTimeout")]
    [InlineData(30, 10, "MaxVisibilityTimeout")]
    [InlineData(30, 13 * 3600, "MaxVisibilityTimeout")]
    public async Task Configure_LeaseSettingOutOfRange_BusRefusedNamingIt(int visibilityTimeout, int maxVisibilitySeconds, string setting)
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => BusHarness.StartAsync(fauxqs.HostSettings(), x => x.AddConsumer<SlowWorker>(),
            s => s.AddSingleton(new Observed<SlowWork>()),
            (context, cfg) => cfg.ReceiveEndpoint("misconfigured", e =>
            {
                e.VisibilityTimeout = visibilityTimeout;
                e.MaxVisibilityTimeout = TimeSpan.FromSeconds(maxVisibilitySeconds);
                e.ConfigureConsumer<SlowWorker>(context);
            })));
        Assert.Contains($"{setting} must be", refused.ToString());
    }

    /// <summary>
    /// Once nothing holds the queue's messages any more, any message left becomes receivable
    /// within its visibility timeout: a receive that waits longer and gets nothing proves the queue
    /// empty. (The approximate counts alone can read zero for a message whose lease just ran out.)
    /// </summary>
    private async Task AssertNothingComesBackAsync(string queueName, int visibilityTimeout)
    {
        using var sqs = fauxqs.CreateSqsClient();
        var queueUrl = (await sqs.GetQueueUrlAsync(queueName)).QueueUrl;
        // Short polls: a long poll need not wake for a message whose lease ran out while it waited.
        var watched = Stopwatch.StartNew();
        while (watched.Elapsed < TimeSpan.FromSeconds(visibilityTimeout + 3))
        {
            var received = await sqs.ReceiveMessageAsync(new Amazon.SQS.Model.ReceiveMessageRequest
            {
                QueueUrl = queueUrl, MaxNumberOfMessages = 1, WaitTimeSeconds = 1,
            });
            Assert.True((received.Messages ?? []).Count == 0, "a message the consumer finished came back to the queue");
        }

        // Nor was it handed out so often that SQS's redrive policy moved it to the error queue.
        var errorQueueUrl = (await sqs.GetQueueUrlAsync(SqsEntityNames.ErrorQueue(queueName))).QueueUrl;
        var errors = await sqs.GetQueueAttributesAsync(errorQueueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
        Assert.True(errors.ApproximateNumberOfMessages + errors.ApproximateNumberOfMessagesNotVisible == 0,
            "a message the consumer finished was moved to the error queue");
    }

    /// <summary>Waits until the queue holds nothing, waiting or in flight; fails if it never does.</summary>
    private async Task AssertQueueEmptiesAsync(string queueName)
    {
        using var sqs = fauxqs.CreateSqsClient();
        var queueUrl = (await sqs.GetQueueUrlAsync(queueName)).QueueUrl;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var attributes = await sqs.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
            if (attributes.ApproximateNumberOfMessages == 0 && attributes.ApproximateNumberOfMessagesNotVisible == 0)
            {
                return;
            }
            Assert.True(deadline.Elapsed < BusHarness.Timeout,
                $"the finished message was never deleted: {attributes.ApproximateNumberOfMessages} waiting, {attributes.ApproximateNumberOfMessagesNotVisible} in flight");
            await Task.Delay(100);
        }
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
