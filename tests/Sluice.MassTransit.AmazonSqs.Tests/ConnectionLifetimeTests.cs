using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Transports.AmazonSqs.Transport;

namespace Sluice.Transports.AmazonSqs.Tests;

/// <summary>The host's SQS and SNS clients live as long as the bus runs.</summary>
[Collection(FauxqsCollection.Name)]
public sealed class ConnectionLifetimeTests(FauxqsFixture fauxqs)
{
    [Fact]
    public async Task StopBus_AfterTraffic_DisposesTheClientsAndAStartAgainReconnects()
    {
        var seen = new Observed<SqsConnection>();
        await using var bus = await BusHarness.StartAsync(fauxqs.HostSettings(), x => x.AddConsumer<ConnectionCapturingConsumer>(), s => s.AddSingleton(seen));

        await bus.Bus.Publish(new OrderPlaced(Guid.NewGuid(), "first"));
        var first = (await seen.WaitForAsync(1))[0];
        Assert.False(first.IsDisposed);

        using (var stopping = new CancellationTokenSource(BusHarness.Timeout))
        {
            await bus.Bus.StopAsync(stopping.Token);
        }
        Assert.True(first.IsDisposed, "The bus stopped but its SQS and SNS clients were not disposed.");

        using (var starting = new CancellationTokenSource(BusHarness.Timeout))
        {
            await bus.Bus.StartAsync(starting.Token);
        }
        await bus.Bus.Publish(new OrderPlaced(Guid.NewGuid(), "second"));
        var second = (await seen.WaitForAsync(2))[1];
        Assert.NotSame(first, second);
        Assert.False(second.IsDisposed);
    }

    private sealed class ConnectionCapturingConsumer(Observed<SqsConnection> seen) : IConsumer<OrderPlaced>
    {
        public Task Consume(ConsumeContext<OrderPlaced> context)
        {
            seen.Add(context.ReceiveContext.GetPayload<ClientContext>().Connection);
            return Task.CompletedTask;
        }
    }
}
