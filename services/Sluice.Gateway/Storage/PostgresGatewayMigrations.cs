using Npgsql;

namespace Sluice.Gateway.Storage;

/// <summary>
/// The PostgreSQL store's schema as numbered scripts, applied in order at start. Each applied
/// script is recorded in <c>schema_version</c>, so starting again applies nothing. All of it runs
/// in one transaction holding an advisory lock: gateways starting together take turns, and the
/// later ones find the scripts applied.
/// </summary>
internal static class PostgresGatewayMigrations
{
    /// <summary>Any fixed number: the lock only has to be the same in every gateway ("sluicegw" in ASCII).</summary>
    private const long AdvisoryLockKey = 0x736C_7569_6365_6777;

    private const string Schema = PostgresGatewayStore.Schema;

    /// <summary>Append only: a script once released is never edited, a change is a new script.</summary>
    private static readonly (int Version, string Sql)[] Scripts =
    [
        (1, $"""
            CREATE TABLE {Schema}.apis (id text PRIMARY KEY, name text NOT NULL, version text NOT NULL, document text NOT NULL, created bigint NOT NULL);
            CREATE TABLE {Schema}.deployments (api_id text NOT NULL, id text NOT NULL, description text NOT NULL, document text NOT NULL,
                created bigint NOT NULL, PRIMARY KEY (api_id, id));
            CREATE TABLE {Schema}.stages (api_id text NOT NULL, name text NOT NULL, deployment_id text NOT NULL, document text NOT NULL,
                variables jsonb NOT NULL, throttles jsonb NOT NULL, created bigint NOT NULL, cache jsonb, access_log jsonb, PRIMARY KEY (api_id, name));
            CREATE TABLE {Schema}.api_keys (id text PRIMARY KEY, name text NOT NULL, description text NOT NULL, enabled boolean NOT NULL,
                value_hash bytea NOT NULL UNIQUE, value_prefix text NOT NULL, created bigint NOT NULL);
            CREATE TABLE {Schema}.usage_plans (id text PRIMARY KEY, body jsonb NOT NULL, created bigint NOT NULL);
            CREATE TABLE {Schema}.usage (plan_id text NOT NULL, key_id text NOT NULL, day date NOT NULL, used bigint NOT NULL, PRIMARY KEY (plan_id, key_id, day));
            CREATE TABLE {Schema}.changes (version bigint NOT NULL);
            INSERT INTO {Schema}.changes (version) VALUES (0);
            """),
        (2, $"""
            ALTER TABLE {Schema}.stages ADD COLUMN description text NOT NULL DEFAULT '';
            ALTER TABLE {Schema}.stages ADD COLUMN cache_flushes bigint NOT NULL DEFAULT 0;
            """),
    ];

    /// <summary>The newest script's version: what a migrated database reports.</summary>
    public static int LatestVersion => Scripts[^1].Version;

    public static async Task ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"""
            CREATE SCHEMA IF NOT EXISTS {Schema};
            CREATE TABLE IF NOT EXISTS {Schema}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
            """, cancellationToken).ConfigureAwait(false);
        await using var read = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {Schema}.schema_version", connection, transaction);
        var current = (int)(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        if (current > LatestVersion)
        {
            throw new InvalidOperationException(
                $"The gateway's PostgreSQL schema is at version {current}, newer than this gateway knows ({LatestVersion}): run a newer gateway.");
        }
        foreach (var (version, sql) in Scripts.Where(s => s.Version > current))
        {
            await ExecuteAsync(connection, transaction, sql, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, $"INSERT INTO {Schema}.schema_version (version) VALUES ({version})", cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
