using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Sluice.Contracts.Messages;

namespace Sluice.Query.Persistence;

/// <summary>Fault injection for the fault tests: called around the relay's publish (none in production).</summary>
internal interface IOutboxRelayFaults
{
    /// <summary>Before a batch holding messages of <paramref name="types"/> is published.</summary>
    Task BeforePublishAsync(IReadOnlySet<Type> types, CancellationToken cancellationToken);

    /// <summary>After a batch holding messages of <paramref name="types"/> is published, before it is marked sent.</summary>
    Task BeforeMarkingSentAsync(IReadOnlySet<Type> types, CancellationToken cancellationToken);
}

/// <summary>
/// Publishes the outbox's pending messages with the message ids they were written with, then
/// marks them sent. One replica relays at a time (an advisory lock), oldest first, and one
/// statement's messages in the order they were written. A crash before the mark republishes the
/// batch at the next pass: consumers dedupe by message id. Woken by each write, and polls for
/// messages another process left.
/// </summary>
internal sealed partial class StatementOutboxRelay(PostgresStateDatabase database, StatementOutbox outbox, IServiceProvider services,
    IOptions<QueryOptions> options, ILogger<StatementOutboxRelay> logger) : BackgroundService
{
    private const int BatchSize = 200;
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FailurePause = TimeSpan.FromSeconds(1);

    private static readonly Dictionary<string, Type> MessageTypes = new[]
    {
        typeof(StatementSubmitted), typeof(StatementStarted), typeof(StatementFinished), typeof(StatementFailed), typeof(StatementAborted),
        typeof(RemoteStatementStarted), typeof(StatementEnded),
    }.ToDictionary(t => t.FullName!, StringComparer.Ordinal);

    private readonly SemaphoreSlim _pass = new(1, 1);
    private DateTimeOffset _nextPrune = DateTimeOffset.MinValue;

    /// <summary>Relays what is pending now (the graceful stop calls it while the bus still runs).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (await RelayBatchAsync(cancellationToken).ConfigureAwait(false))
        {
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await FlushAsync(stoppingToken).ConfigureAwait(false);
                await PruneAsync(stoppingToken).ConfigureAwait(false);
                await outbox.WaitForWriteAsync(PollInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The state database or the broker is unreachable for now: the messages stay pending.
                LogRelayFailed(logger, exception);
                try
                {
                    await Task.Delay(FailurePause, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Publishes one batch; false when nothing was pending, or another replica is relaying.</summary>
    private async Task<bool> RelayBatchAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<IBus>() is not { } bus)
        {
            return false;
        }
        await _pass.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var take = new NpgsqlCommand($"SELECT pg_try_advisory_xact_lock({StateSchema.OutboxRelayLockKey})", connection, transaction))
            {
                if (!(bool)(await take.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    return false;
                }
            }
            var batch = await ReadPendingAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return false;
            }
            var faults = services.GetService<IOutboxRelayFaults>();
            if (faults is not null)
            {
                await faults.BeforePublishAsync(batch.Select(m => m.Type).ToHashSet(), cancellationToken).ConfigureAwait(false);
            }
            // Statements in parallel, each statement's messages in order (the saga needs its start before its end).
            await Task.WhenAll(batch.GroupBy(m => m.OrderingKey).Select(async messages =>
            {
                foreach (var message in messages)
                {
                    await bus.Publish(message.Body, message.Type, Pipe.Execute<PublishContext>(context => context.MessageId = message.MessageId), cancellationToken)
                        .ConfigureAwait(false);
                }
            })).ConfigureAwait(false);
            if (faults is not null)
            {
                await faults.BeforeMarkingSentAsync(batch.Select(m => m.Type).ToHashSet(), cancellationToken).ConfigureAwait(false);
            }
            await using var mark = new NpgsqlCommand($"UPDATE {StatementOutbox.Table} SET sent_at = now() WHERE id = ANY($1)", connection, transaction)
            {
                Parameters = { new() { Value = batch.Select(m => m.Id).ToArray() } },
            };
            await mark.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _pass.Release();
        }
    }

    private static async Task<List<PendingMessage>> ReadPendingAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand($"""
            SELECT id, message_id, ordering_key, message_type, body::text FROM {StatementOutbox.Table} WHERE sent_at IS NULL ORDER BY id LIMIT {BatchSize}
            """, connection, transaction);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var batch = new List<PendingMessage>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var typeName = reader.GetString(3);
            var type = MessageTypes.GetValueOrDefault(typeName)
                ?? throw new InvalidOperationException($"Outbox message {reader.GetGuid(1)} has type '{typeName}', which this query service does not publish; run a newer service.");
            var body = JsonSerializer.Deserialize(reader.GetString(4), type, StatementOutbox.Json)
                ?? throw new InvalidOperationException($"Outbox message {reader.GetGuid(1)} has an empty body.");
            batch.Add(new PendingMessage(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), type, body));
        }
        return batch;
    }

    /// <summary>Forgets messages sent longer ago than statements are kept (a store write of such a statement's end is long past).</summary>
    private async Task PruneAsync(CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        if (now < _nextPrune)
        {
            return;
        }
        _nextPrune = now + TimeSpan.FromMinutes(1);
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var delete = new NpgsqlCommand($"DELETE FROM {StatementOutbox.Table} WHERE sent_at < $1", connection)
        {
            Parameters = { new() { Value = (now - options.Value.ResultRetention).UtcDateTime } },
        };
        await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private sealed record PendingMessage(long Id, Guid MessageId, string OrderingKey, Type Type, object Body);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "Relaying the event outbox failed; its messages stay pending and are tried again")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception);
}
