using System.Collections.Concurrent;
using Npgsql;

namespace Sluice.Query.Persistence;

/// <summary>
/// Remembers which messages a consumer has handled, by message id, so a redelivered message
/// (the broker lost the acknowledgement, the consumer's process died after acting) does not act twice.
/// </summary>
public interface IMessageInbox
{
    /// <summary>
    /// Runs <paramref name="handle"/> unless <paramref name="consumer"/> has already handled
    /// <paramref name="messageId"/>; false when it had. A handling that throws is forgotten, so the
    /// redelivery is handled again.
    /// </summary>
    Task<bool> HandleOnceAsync(string consumer, Guid messageId, Func<Task> handle, CancellationToken cancellationToken);

    /// <summary>Forgets messages received before <paramref name="cutoff"/> (no broker redelivers that late).</summary>
    Task RemoveOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);
}

/// <summary>The embedded profile's inbox: in memory, for redeliveries within the process's life.</summary>
public sealed class InMemoryMessageInbox(TimeProvider time) : IMessageInbox
{
    private readonly ConcurrentDictionary<(string Consumer, Guid MessageId), DateTimeOffset> _handled = new();

    public async Task<bool> HandleOnceAsync(string consumer, Guid messageId, Func<Task> handle, CancellationToken cancellationToken)
    {
        if (!_handled.TryAdd((consumer, messageId), time.GetUtcNow()))
        {
            return false;
        }
        try
        {
            await handle().ConfigureAwait(false);
            return true;
        }
        catch
        {
            _handled.TryRemove((consumer, messageId), out _);
            throw;
        }
    }

    public Task RemoveOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        foreach (var (key, receivedAt) in _handled)
        {
            if (receivedAt < cutoff)
            {
                _handled.TryRemove(key, out _);
            }
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// The inbox in the state database. The message's row is inserted in a transaction held open while
/// the consumer acts and committed after: a second delivery running at the same moment waits on
/// the row, then finds it and skips; a handling that fails rolls the row back.
/// </summary>
public sealed class PostgresMessageInbox(PostgresStateDatabase database, TimeProvider time) : IMessageInbox
{
    private const string Table = StateSchema.Name + ".inbox";

    public async Task<bool> HandleOnceAsync(string consumer, Guid messageId, Func<Task> handle, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var record = new NpgsqlCommand($"INSERT INTO {Table} (consumer, message_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            connection, transaction)
        {
            Parameters = { new() { Value = consumer }, new() { Value = messageId }, new() { Value = time.GetUtcNow().ToUniversalTime() } },
        };
        if (await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            return false;
        }
        await handle().ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task RemoveOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var delete = new NpgsqlCommand($"DELETE FROM {Table} WHERE received_at < $1", connection)
        {
            Parameters = { new() { Value = cutoff.ToUniversalTime() } },
        };
        await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
