using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace Sluice.ServiceDefaults.Tests;

/// <summary>
/// A subscription a service retired (RetireSluiceBusSubscription) is unbound on RabbitMQ when the
/// host starts: the message type's exchange no longer routes to the endpoint, whose other bindings stay.
/// </summary>
public sealed class RabbitMqRetiredSubscriptionsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task HostStart_WithARetiredSubscription_UnbindsTheMessageExchangeFromTheEndpointOnly()
    {
        var broker = Environment.GetEnvironmentVariable("SLUICE_TEST_RABBITMQ_ISOLATED") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("SLUICE_TEST_RABBITMQ_ISOLATED is not set: start the servers with `bash deploy/test-servers.sh start` and `eval \"$(bash deploy/test-servers.sh env)\"`, or run `bash tests/run.sh`.");
        var endpoint = "retired-" + Guid.NewGuid().ToString("N")[..8];
        var messageExchange = RabbitMqRetiredSubscriptions.MessageExchange(typeof(RetiredProbe));
        await using var connection = await new ConnectionFactory { Uri = new Uri(broker) }.CreateConnectionAsync();
        // Confirmed publishes: once confirmed, a message is in every queue it was routed to.
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        // The topology MassTransit made for the endpoint when it still consumed the type.
        await channel.ExchangeDeclareAsync(messageExchange, ExchangeType.Fanout, durable: true);
        await channel.ExchangeDeclareAsync(endpoint, ExchangeType.Fanout, durable: true);
        await channel.QueueDeclareAsync(endpoint, durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(endpoint, endpoint, "");
        await channel.ExchangeBindAsync(endpoint, messageExchange, "");
        try
        {
            await channel.BasicPublishAsync(messageExchange, "", "{}"u8.ToArray());
            Assert.Equal(1u, await channel.MessageCountAsync(endpoint)); // Bound before the start.
            await channel.QueuePurgeAsync(endpoint);

            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development" });
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Sluice:Broker:Transport"] = "RabbitMq", ["Sluice:Broker:RabbitMqUri"] = broker });
            builder.AddSluiceBusParticipant(_ => { });
            builder.RetireSluiceBusSubscription(endpoint, typeof(RetiredProbe));
            builder.AddSluiceBus();
            using var host = builder.Build();
            using var timeout = new CancellationTokenSource(Timeout);
            await host.StartAsync(timeout.Token);
            await host.StopAsync(CancellationToken.None);

            await channel.BasicPublishAsync(messageExchange, "", "{}"u8.ToArray());
            Assert.Equal(0u, await channel.MessageCountAsync(endpoint));
            // The endpoint's own exchange still delivers to its queue.
            await channel.BasicPublishAsync(endpoint, "", "{}"u8.ToArray());
            Assert.Equal(1u, await channel.MessageCountAsync(endpoint));
        }
        finally
        {
            await channel.QueueDeleteAsync(endpoint);
            await channel.ExchangeDeleteAsync(endpoint);
        }
    }

    /// <summary>The retired message type (its exchange is named after it).</summary>
    public sealed record RetiredProbe;
}
