using System.Collections.Concurrent;
using MassTransit;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Sluice.ServiceDefaults;

/// <summary>
/// Declares the delay queues of <see cref="RabbitMqDelayedDelivery"/> on demand, on a connection of
/// its own: MassTransit declares queues only with the arguments its endpoint addresses can carry,
/// which include neither a TTL nor a dead-letter exchange.
/// </summary>
internal sealed class RabbitMqDelayQueues(Uri brokerUri) : IAsyncDisposable, IDisposable
{
    // Declaring again renews the queue's x-expires lease; a queue used more often than this is
    // never idle long enough to expire while it holds a message (see IdleExpiry).
    private static readonly TimeSpan Redeclare = RabbitMqDelayedDelivery.IdleExpiry / 4;

    private readonly ConcurrentDictionary<string, DateTime> _declared = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private IConnection? _connection;

    /// <summary>The broker the queues live on, as MassTransit addresses it (for short "queue:" and "exchange:" addresses).</summary>
    public Uri HostAddress { get; } = brokerUri;

    /// <summary>
    /// Makes sure the delay queue for <paramref name="destination"/> and <paramref name="queueDelay"/>
    /// exists, with its exchange, and that the destination exists to receive what expires; returns
    /// the exchange to send the waiting message to.
    /// </summary>
    public async Task<string> DeclareAsync(RabbitMqEndpointAddress destination, TimeSpan queueDelay, CancellationToken cancellationToken)
    {
        var name = RabbitMqDelayedDelivery.QueueName(destination.Name, queueDelay);
        if (_declared.TryGetValue(name, out var at) && DateTime.UtcNow - at < Redeclare)
        {
            return name;
        }
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!await ExchangeExistsAsync(connection, destination.Name, cancellationToken).ConfigureAwait(false))
            {
                await DeclareDestinationAsync(connection, destination, cancellationToken).ConfigureAwait(false);
            }
            var ttl = (long)queueDelay.TotalMilliseconds;
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
            await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?>
            {
                ["x-message-ttl"] = ttl,
                ["x-dead-letter-exchange"] = destination.Name,
                ["x-expires"] = ttl + (long)RabbitMqDelayedDelivery.IdleExpiry.TotalMilliseconds,
            }, cancellationToken: cancellationToken).ConfigureAwait(false);
            await channel.QueueBindAsync(name, name, "", cancellationToken: cancellationToken).ConfigureAwait(false);
            await channel.CloseAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException exception)
        {
            throw new InvalidOperationException(
                $"RabbitMQ refused the delay queue '{name}' for '{destination.Name}' (an entity of that name with other settings?): {exception.Message}", exception);
        }
        _declared[name] = DateTime.UtcNow;
        return name;
    }

    /// <summary>Whether the exchange exists, asked passively: a passive declare of a missing one closes its channel.</summary>
    private static async Task<bool> ExchangeExistsAsync(IConnection connection, string exchange, CancellationToken cancellationToken)
    {
        await using var probe = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await probe.ExchangeDeclarePassiveAsync(exchange, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            return false;
        }
    }

    /// <summary>
    /// The destination as MassTransit declares it when sending there, when it does not exist yet: a
    /// message dead-lettered to a missing exchange is dropped. An existing one is left as it is
    /// (a temporary endpoint's, say, whose flags a short address does not carry).
    /// </summary>
    private static async Task DeclareDestinationAsync(IConnection connection, RabbitMqEndpointAddress destination, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.ExchangeDeclareAsync(destination.Name, destination.ExchangeType, destination.Durable, destination.AutoDelete,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (destination.BindToQueue)
        {
            var queue = destination.QueueName ?? destination.Name;
            await channel.QueueDeclareAsync(queue, destination.Durable, exclusive: false, destination.AutoDelete, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            await channel.QueueBindAsync(queue, destination.Name, "", cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        await channel.CloseAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<IConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is { } open)
        {
            return open;
        }
        await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is null)
            {
                // Recovers by itself after a broker restart, as MassTransit's own connection does.
                var factory = new ConnectionFactory { Uri = ToAmqp(HostAddress), AutomaticRecoveryEnabled = true, ClientProvidedName = "sluice-delay-queues" };
                _connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            return _connection;
        }
        finally
        {
            _connecting.Release();
        }
    }

    /// <summary>MassTransit also accepts rabbitmq:// and rabbitmqs://; the client takes amqp:// and amqps:// only.</summary>
    private static Uri ToAmqp(Uri uri) => uri.Scheme.ToLowerInvariant() switch
    {
        "rabbitmq" => new UriBuilder(uri) { Scheme = "amqp" }.Uri,
        "rabbitmqs" => new UriBuilder(uri) { Scheme = "amqps" }.Uri,
        _ => uri,
    };

    public void Dispose()
    {
        _connection?.Dispose();
        _connecting.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is { } connection)
        {
            await connection.CloseAsync().ConfigureAwait(false);
            connection.Dispose();
        }
        _connecting.Dispose();
    }
}
