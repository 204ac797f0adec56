using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Sluice.Query.Statements;

namespace Sluice.Query.Persistence;

/// <summary>
/// Statements in the state database: the record as JSON, with the columns the service looks up
/// by (caller, status, creation time, client token) beside it.
/// With an outbox, the messages a transition announces are written in the same transaction.
/// </summary>
public sealed class PostgresStatementStore(PostgresStateDatabase database, StatementOutbox? outbox = null) : IStatementStore
{
    private const string Table = StateSchema.Name + ".statements";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    public bool IsDurable => true;

    public async Task SaveAsync(StatementRecord record, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = outbox is null ? null : await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {Table} (id, caller, status, created_at, updated_at, client_token, data) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, data = excluded.data
            """, connection, transaction)
        {
            Parameters =
            {
                new() { Value = record.Id },
                new() { Value = record.Caller },
                new() { Value = StatementManager.StatusName(record.Status) },
                new() { Value = record.CreatedAt.ToUniversalTime() },
                new() { Value = record.UpdatedAt.ToUniversalTime() },
                new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)record.ClientToken ?? DBNull.Value },
                new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(record, Json) },
            },
        };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (outbox is not null && transaction is not null)
        {
            await outbox.AddAsync(connection, transaction, record, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            outbox.Written();
        }
    }

    public async Task<IReadOnlyList<StatementRecord>> LoadAllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"SELECT data FROM {Table}", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var records = new List<StatementRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(JsonSerializer.Deserialize<StatementRecord>(reader.GetString(0), Json)
                ?? throw new InvalidOperationException("A stored statement record is empty."));
        }
        return records;
    }

    public async Task DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"DELETE FROM {Table} WHERE id = ANY($1)", connection)
        {
            Parameters = { new() { Value = ids.ToArray() } },
        };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
