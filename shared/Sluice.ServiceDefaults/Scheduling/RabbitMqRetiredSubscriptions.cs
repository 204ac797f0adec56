using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Sluice.ServiceDefaults;

/// <summary>An endpoint that no longer consumes a message type (see <see cref="SluiceBus.RetireSluiceBusSubscription"/>).</summary>
public sealed record RetiredSubscription(string EndpointName, Type MessageType);

/// <summary>
/// Removes retired subscriptions from RabbitMQ when the host starts. MassTransit binds a message
/// type's exchange to the exchange of each endpoint that consumes it, and never unbinds: an
/// endpoint that stopped consuming a type would go on receiving it, each message moved to its
/// _skipped queue. Unbinding twice, or a binding whose exchanges do not exist, changes nothing.
/// </summary>
internal sealed partial class RabbitMqRetiredSubscriptions(Uri brokerUri, IReadOnlyList<RetiredSubscription> retired, ILogger<RabbitMqRetiredSubscriptions> logger)
    : IHostedService
{
    /// <summary>The exchange MassTransit publishes a (non-generic) message type to: "Namespace:Name".</summary>
    public static string MessageExchange(Type messageType) => $"{messageType.Namespace}:{messageType.Name}";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var factory = new ConnectionFactory { Uri = brokerUri, ClientProvidedName = "sluice-retired-subscriptions" };
            await using var connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
            foreach (var subscription in retired)
            {
                // A channel each: unbinding from an exchange that does not exist closes its channel.
                await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                try
                {
                    await channel.ExchangeUnbindAsync(subscription.EndpointName, MessageExchange(subscription.MessageType), "", cancellationToken: cancellationToken)
                        .ConfigureAwait(false);
                }
                catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == Constants.NotFound)
                {
                    // Never bound on this broker.
                }
            }
        }
        catch (Exception exception) when (exception is BrokerUnreachableException or OperationInterruptedException or IOException)
        {
            // Not fatal: the endpoint then skips these messages as before, and the next start tries again.
            LogUnbindFailed(logger, exception, string.Join(", ", retired.Select(r => $"{MessageExchange(r.MessageType)} -> {r.EndpointName}")));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 61, Level = LogLevel.Warning, Message = "Removing retired RabbitMQ bindings ({Bindings}) failed; their messages still reach the endpoints' _skipped queues")]
    private static partial void LogUnbindFailed(ILogger logger, Exception exception, string bindings);
}
