using System.Runtime.CompilerServices;
using System.Text.Json;
using MassTransit;
using Npgsql;
using NpgsqlTypes;

namespace Sluice.Query.Persistence;

/// <summary>
/// One message's transaction on the saga table: loads, inserts, updates and deletes instances of
/// one saga type, remembering the version each instance was loaded at.
/// </summary>
public sealed class PostgresSagaSession<TSaga> : IAsyncDisposable
    where TSaga : class, ISaga
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);
    private const string Table = StateSchema.Name + ".saga_instances";

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly PostgresSagaTable<TSaga> _table;

    // The version each instance had when this transaction read or wrote it: the condition of its update.
    private readonly ConditionalWeakTable<TSaga, StrongBox<int>> _versions = [];

    internal PostgresSagaSession(NpgsqlConnection connection, NpgsqlTransaction transaction, PostgresSagaTable<TSaga> table)
    {
        _connection = connection;
        _transaction = transaction;
        _table = table;
    }

    public async Task<TSaga?> LoadAsync(Guid correlationId, CancellationToken cancellationToken)
    {
        await using var command = Command($"SELECT data, version FROM {Table} WHERE saga_type = $1 AND correlation_id = $2", _table.SagaType, correlationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        var instance = JsonSerializer.Deserialize<TSaga>(reader.GetString(0), Json)
            ?? throw new InvalidOperationException($"The stored {typeof(TSaga).Name} {correlationId} is empty.");
        _versions.AddOrUpdate(instance, new StrongBox<int>(reader.GetInt32(1)));
        return instance;
    }

    /// <summary>Inserts a new instance; another transaction's insert of the same id first is a <see cref="ConcurrencyException"/>.</summary>
    public async Task InsertAsync(TSaga instance, CancellationToken cancellationToken)
    {
        if (!await TryInsertAsync(instance, cancellationToken).ConfigureAwait(false))
        {
            throw Conflict(instance, "was created by another consumer meanwhile");
        }
    }

    /// <summary>Inserts a new instance unless one with its id exists; false then.</summary>
    public async Task<bool> TryInsertAsync(TSaga instance, CancellationToken cancellationToken)
    {
        await using var command = Command($"""
            INSERT INTO {Table} (saga_type, correlation_id, current_state, version, data, updated_at)
            VALUES ($1, $2, $3, 1, $4, now())
            ON CONFLICT (saga_type, correlation_id) DO NOTHING
            """, _table.SagaType, instance.CorrelationId, _table.CurrentState(instance), Serialize(instance));
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            return false;
        }
        _versions.AddOrUpdate(instance, new StrongBox<int>(1));
        return true;
    }

    /// <summary>Writes an instance back if nobody has since its load; otherwise a <see cref="ConcurrencyException"/>.</summary>
    public async Task UpdateAsync(TSaga instance, CancellationToken cancellationToken)
    {
        var version = VersionOf(instance);
        await using var command = Command($"""
            UPDATE {Table} SET current_state = $3, version = version + 1, data = $4, updated_at = now()
            WHERE saga_type = $1 AND correlation_id = $2 AND version = $5
            """, _table.SagaType, instance.CorrelationId, _table.CurrentState(instance), Serialize(instance), version.Value);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            throw Conflict(instance, $"changed (or was removed) after it was read at version {version.Value}");
        }
        version.Value++;
    }

    /// <summary>Removes a finalized instance if nobody has changed it since its load; otherwise a <see cref="ConcurrencyException"/>.</summary>
    public async Task DeleteAsync(TSaga instance, CancellationToken cancellationToken)
    {
        var version = VersionOf(instance);
        await using var command = Command($"DELETE FROM {Table} WHERE saga_type = $1 AND correlation_id = $2 AND version = $3",
            _table.SagaType, instance.CorrelationId, version.Value);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            throw Conflict(instance, $"changed (or was removed) after it was read at version {version.Value}");
        }
        _versions.Remove(instance);
    }

    internal Task CommitAsync(CancellationToken cancellationToken) => _transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // Not committed by then (the pipe threw): rolled back, and the connection returns to the pool.
        await _transaction.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private StrongBox<int> VersionOf(TSaga instance) =>
        _versions.TryGetValue(instance, out var version)
            ? version
            : throw new InvalidOperationException($"{typeof(TSaga).Name} {instance.CorrelationId} was not loaded or inserted in this transaction.");

    private NpgsqlCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlCommand(sql, _connection, _transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(value is JsonText json
                ? new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = json.Text }
                : value is null
                    ? new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = DBNull.Value }
                    : new NpgsqlParameter { Value = value });
        }
        return command;
    }

    private static JsonText Serialize(TSaga instance) => new(JsonSerializer.Serialize(instance, Json));

    private static ConcurrencyException Conflict(TSaga instance, string what) =>
        new($"{typeof(TSaga).Name} {instance.CorrelationId} {what}; the message is handled again on its current state.", typeof(TSaga), instance.CorrelationId);

    private readonly record struct JsonText(string Text);
}
