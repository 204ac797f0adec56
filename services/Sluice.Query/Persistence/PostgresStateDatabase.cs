using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Sluice.Query.Persistence;

/// <summary>
/// The PostgreSQL database holding the query service's durable state: its connections, and its
/// schema, created and migrated before first use by <see cref="StateSchema"/>'s scripts.
/// </summary>
public sealed partial class PostgresStateDatabase : IAsyncDisposable
{
    private readonly SemaphoreSlim _migrating = new(1, 1);
    private readonly ILogger<PostgresStateDatabase> _logger;
    private readonly TimeSpan _startTimeout;
    private volatile bool _migrated;

    public PostgresStateDatabase(IOptions<StateStoreOptions> options, ILogger<PostgresStateDatabase> logger)
    {
        var connectionString = options.Value.ConnectionString;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("Sluice:Query:State:Store is Postgres but Sluice:Query:State:ConnectionString is not set.");
        }
        DataSource = NpgsqlDataSource.Create(connectionString);
        _startTimeout = options.Value.StartTimeout;
        _logger = logger;
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>Opens a connection once the schema is current.</summary>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies the scripts this database has not had yet, each in the transaction that records it,
    /// under an advisory lock. Refuses a database migrated by a newer version of the service.
    /// </summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_migrated)
        {
            return;
        }
        await _migrating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_migrated)
            {
                return;
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_startTimeout);
            try
            {
                await MigrateAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new InvalidOperationException(
                    $"The state database (Sluice:Query:State:ConnectionString) could not be reached or migrated within {_startTimeout} (Sluice:Query:State:StartTimeout).");
            }
            catch (NpgsqlException exception)
            {
                throw new InvalidOperationException($"The state database (Sluice:Query:State:ConnectionString) could not be migrated: {exception.Message}", exception);
            }
            _migrated = true;
        }
        finally
        {
            _migrating.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync().ConfigureAwait(false);
        _migrating.Dispose();
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Held until the commit: a replica starting at the same moment waits here, then finds the
        // scripts applied. The schema and version table are created under the lock too, since
        // CREATE ... IF NOT EXISTS races between two sessions.
        await ExecuteAsync(connection, $"""
            SELECT pg_advisory_xact_lock({StateSchema.MigrationLockKey});
            CREATE SCHEMA IF NOT EXISTS {StateSchema.Name};
            CREATE TABLE IF NOT EXISTS {StateSchema.Name}.schema_version (
                version     integer     PRIMARY KEY,
                description text        NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            );
            """, cancellationToken).ConfigureAwait(false);
        await using var current = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {StateSchema.Name}.schema_version", connection);
        var applied = (int)(await current.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        var known = StateSchema.Migrations[^1].Version;
        if (applied > known)
        {
            throw new InvalidOperationException(
                $"The state database (Sluice:Query:State:ConnectionString) has schema version {applied}, newer than this query service knows ({known}): run a newer service.");
        }
        foreach (var (version, description, sql) in StateSchema.Migrations.Where(m => m.Version > applied))
        {
            await ExecuteAsync(connection, sql, cancellationToken).ConfigureAwait(false);
            await using var record = new NpgsqlCommand($"INSERT INTO {StateSchema.Name}.schema_version (version, description) VALUES ($1, $2)", connection)
            {
                Parameters = { new() { Value = version }, new() { Value = description } },
            };
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            LogMigrated(_logger, version, description);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "State database migrated to schema version {Version} ({Description})")]
    private static partial void LogMigrated(ILogger logger, int version, string description);
}
