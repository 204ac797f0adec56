using System.Diagnostics;
using Amazon.SQS.Model;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Sluice.Transports.AmazonSqs.Tests;

[Collection(FauxqsCollection.Name)]
public sealed class RetiredSubscriptionTests(FauxqsFixture fauxqs)
{
    [Fact]
    public async Task RemoveAsync_EndpointNoLongerConsumesAType_ItsQueueStopsReceivingThatType()
    {
        var settings = fauxqs.HostSettings();
        // A version of the service whose endpoint consumed OrderPlaced: its queue is subscribed to the type's topic.
        await (await BusHarness.StartAsync(settings, x => x.AddConsumer<TimedRecorder>(), s => s.AddSingleton(new Observed<(OrderPlaced, DateTime)>()),
            (context, cfg) => cfg.ReceiveEndpoint("retiring", e => e.ConfigureConsumer<TimedRecorder>(context)))).DisposeAsync();
        using var sqs = fauxqs.CreateSqsClient();
        var queueUrl = (await sqs.GetQueueUrlAsync($"{settings.Scope}_retiring")).QueueUrl;

        await using var publisher = await BusHarness.StartAsync(fauxqs.HostSettings(settings.Scope), _ => { });
        await publisher.Bus.Publish(new OrderPlaced(Guid.NewGuid(), "before"));
        var before = await RoundTripTests.ReceiveOneAsync(sqs, queueUrl);
        await sqs.DeleteMessageAsync(queueUrl, before.ReceiptHandle);

        Assert.Equal(1, await SqsRetiredSubscriptions.RemoveAsync(settings, "retiring", typeof(OrderPlaced), CancellationToken.None));
        Assert.Equal(0, await SqsRetiredSubscriptions.RemoveAsync(settings, "retiring", typeof(OrderPlaced), CancellationToken.None));
        Assert.Equal(0, await SqsRetiredSubscriptions.RemoveAsync(settings, "never-deployed", typeof(OrderPlaced), CancellationToken.None));

        await publisher.Bus.Publish(new OrderPlaced(Guid.NewGuid(), "after"));
        var watched = Stopwatch.StartNew();
        while (watched.Elapsed < TimeSpan.FromSeconds(3))
        {
            var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queueUrl, MaxNumberOfMessages = 1, WaitTimeSeconds = 1 });
            Assert.True((received.Messages ?? []).Count == 0, "the queue still received the retired type");
        }
    }
}
