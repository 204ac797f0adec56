using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.Persistence;

/// <summary>
/// Statements in the state database: the record as JSON, with the columns the service looks up
/// by (caller, status, creation time, client token) beside it, and the replica that runs it
/// (<c>runner</c>, this store's <paramref name="replicaId"/> for the statements it adds or claims).
/// With an outbox, the messages a transition announces are written in the same transaction.
/// </summary>
/// <remarks>
/// A replica writes only the statements it runs: an update from a replica that is no longer the
/// runner (another took the statement over after this one's lease expired) is ignored, with the
/// messages it would announce, so the truth the new runner wrote stands.
/// </remarks>
public sealed class PostgresStatementStore(PostgresStateDatabase database, string replicaId, StatementOutbox? outbox = null) : IStatementStore
{
    private const string Table = StateSchema.Name + ".statements";
    private const string Replicas = StateSchema.Name + ".replicas";
    private const string Ended = "('FINISHED', 'FAILED', 'ABORTED')";
    private const string PrimaryKey = "statements_pkey";
    private const string ClientTokenIndex = "statements_client_token";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    public bool IsDurable => true;

    /// <summary>The replica this store writes as.</summary>
    public string ReplicaId => replicaId;

    public async Task SaveAsync(StatementRecord record, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = outbox is null ? null : await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {Table} (id, caller, status, created_at, updated_at, client_token, data, runner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, data = excluded.data
            WHERE {Table}.runner IS NULL OR {Table}.runner = excluded.runner
            """, connection, transaction);
        AddRecordParameters(command, record);
        var written = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await AnnounceAsync(connection, transaction, record, written > 0, cancellationToken).ConfigureAwait(false);
    }

    public async Task AddAsync(StatementRecord record, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = outbox is null ? null : await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {Table} (id, caller, status, created_at, updated_at, client_token, data, runner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, connection, transaction);
        AddRecordParameters(command, record);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await AnnounceAsync(connection, transaction, record, written: true, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation && exception.ConstraintName == ClientTokenIndex)
        {
            // Another request with the token won (on this replica or another): the statement it made is the answer.
            if (transaction is not null)
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false); // The failed insert ended it.
            }
            var existing = await FindIdByTokenAsync(connection, record.Caller, record.ClientToken!, cancellationToken).ConfigureAwait(false);
            throw new StatementConflictException($"Client token '{record.ClientToken}' already names statement '{existing}'.", existing);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation && exception.ConstraintName == PrimaryKey)
        {
            throw new StatementConflictException($"Statement id '{record.Id}' is already in use.", null);
        }
    }

    public async Task<IReadOnlyList<StatementRecord>> LoadAllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"SELECT data FROM {Table}", connection);
        return await ReadRecordsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<StatementRecord?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"SELECT data FROM {Table} WHERE id = $1", connection)
        {
            Parameters = { new() { Value = id } },
        };
        return (await ReadRecordsAsync(command, cancellationToken).ConfigureAwait(false)).SingleOrDefault();
    }

    public async Task<IReadOnlyList<StatementRecord>> ListAsync(StatementQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            SELECT data FROM {Table}
            WHERE ($1::text IS NULL OR caller = $1)
              AND ($2::text IS NULL OR status = $2)
              AND ($3::text IS NULL OR starts_with(data->>'StatementName', $3))
              AND ($4::timestamptz IS NULL OR created_at <= $4)
            ORDER BY created_at DESC, id
            LIMIT $5
            """, connection)
        {
            Parameters =
            {
                new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)query.Caller ?? DBNull.Value },
                new() { NpgsqlDbType = NpgsqlDbType.Text, Value = query.Status == StatementStatus.Unspecified ? DBNull.Value : StatementManager.StatusName(query.Status) },
                new() { NpgsqlDbType = NpgsqlDbType.Text, Value = string.IsNullOrEmpty(query.NamePrefix) ? DBNull.Value : query.NamePrefix },
                // Rounded up to PostgreSQL's microseconds, so the bound never drops a statement created in the same microsecond.
                new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = query.CreatedAtOrBefore is { } before ? CeilingToMicrosecond(before) : DBNull.Value },
                new() { Value = query.Limit },
            },
        };
        return await ReadRecordsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<StatementRecord>> ClaimOrphansAsync(TimeSpan leaseTimeout, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        // The lease is compared on the database's clock, which wrote last_seen, so replicas'
        // clocks need not agree. Two replicas claiming at once: the second waits on the row the
        // first updated, re-reads it, finds a live runner and skips it.
        await using var command = new NpgsqlCommand($"""
            UPDATE {Table} AS s SET runner = $1
            WHERE s.status NOT IN {Ended}
              AND s.runner IS DISTINCT FROM $1
              AND NOT EXISTS (SELECT 1 FROM {Replicas} AS r WHERE r.id = s.runner AND r.last_seen > now() - $2::interval)
            RETURNING s.data
            """, connection)
        {
            Parameters = { new() { Value = replicaId }, new() { Value = leaseTimeout } },
        };
        return await ReadRecordsAsync(command, cancellationToken).ConfigureAwait(false);
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

    /// <summary>With an outbox: adds the messages of the transition just written (none when the write was ignored) and commits.</summary>
    private async Task AnnounceAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, StatementRecord record, bool written, CancellationToken cancellationToken)
    {
        if (outbox is null || transaction is null)
        {
            return;
        }
        if (written)
        {
            await outbox.AddAsync(connection, transaction, record, cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (written)
        {
            outbox.Written();
        }
    }

    private void AddRecordParameters(NpgsqlCommand command, StatementRecord record)
    {
        command.Parameters.Add(new() { Value = record.Id });
        command.Parameters.Add(new() { Value = record.Caller });
        command.Parameters.Add(new() { Value = StatementManager.StatusName(record.Status) });
        command.Parameters.Add(new() { Value = record.CreatedAt.ToUniversalTime() });
        command.Parameters.Add(new() { Value = record.UpdatedAt.ToUniversalTime() });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)record.ClientToken ?? DBNull.Value });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(record, Json) });
        command.Parameters.Add(new() { Value = replicaId });
    }

    private static async Task<string> FindIdByTokenAsync(NpgsqlConnection connection, string caller, string token, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT id FROM {Table} WHERE caller = $1 AND client_token = $2", connection)
        {
            Parameters = { new() { Value = caller }, new() { Value = token } },
        };
        return (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Client token '{token}' was taken, but its statement is gone (retention removed it meanwhile); try again.");
    }

    private static async Task<IReadOnlyList<StatementRecord>> ReadRecordsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var records = new List<StatementRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(JsonSerializer.Deserialize<StatementRecord>(reader.GetString(0), Json)
                ?? throw new InvalidOperationException("A stored statement record is empty."));
        }
        return records;
    }

    private static DateTimeOffset CeilingToMicrosecond(DateTimeOffset value)
    {
        var ticks = value.UtcTicks;
        var remainder = ticks % TimeSpan.TicksPerMicrosecond;
        return new DateTimeOffset(remainder == 0 ? ticks : ticks - remainder + TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);
    }
}
