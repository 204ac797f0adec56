using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Sluice.Gateway.Storage;

/// <summary>
/// The durable store: tables in the <c>sluice_gateway</c> schema of a PostgreSQL database, which
/// several gateways may share. Plans and stage settings are jsonb; usage is one row per plan, key
/// and day, added to by upserts so concurrent gateways never lose a count. Every write that
/// changes what requests see bumps <c>changes.version</c> in the same transaction; gateways poll
/// it (<see cref="GetChangeVersionAsync"/>) to reload what others changed.
/// </summary>
internal sealed class PostgresGatewayStore(string connectionString) : IGatewayStore, IAsyncDisposable
{
    public const string Schema = "sluice_gateway";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    /// <summary>Migrates the schema; a server that cannot be reached or used fails the start, naming the setting and the server.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PostgresGatewayMigrations.ApplyAsync(_dataSource, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            var server = new NpgsqlConnectionStringBuilder(connectionString);
            throw new InvalidOperationException($"The gateway's PostgreSQL store (Sluice:Gateway:PostgresConnectionString, {server.Host}:{server.Port}/{server.Database}) "
                + $"cannot be used: {exception.Message}", exception);
        }
    }

    public async Task<long> GetChangeVersionAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"SELECT version FROM {Schema}.changes");
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public Task<IReadOnlyList<ApiRecord>> ListApisAsync(CancellationToken cancellationToken) =>
        QueryAsync($"SELECT id, name, version, document, created FROM {Schema}.apis ORDER BY created, id",
            r => new ApiRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4)), cancellationToken);

    public Task SaveApiAsync(ApiRecord api, CancellationToken cancellationToken) => ChangeAsync(async (connection, transaction) =>
        await ExecuteAsync(connection, transaction, $"INSERT INTO {Schema}.apis (id, name, version, document, created) VALUES ($1, $2, $3, $4, $5) "
            + "ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version, document = excluded.document",
            cancellationToken, api.Id, api.Name, api.Version, api.Document, api.CreatedUnixMs).ConfigureAwait(false) > 0, cancellationToken);

    public Task<bool> DeleteApiAsync(string apiId, CancellationToken cancellationToken) => ChangeAsync(async (connection, transaction) =>
    {
        await ExecuteAsync(connection, transaction, $"DELETE FROM {Schema}.stages WHERE api_id = $1", cancellationToken, apiId).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"DELETE FROM {Schema}.deployments WHERE api_id = $1", cancellationToken, apiId).ConfigureAwait(false);
        return await ExecuteAsync(connection, transaction, $"DELETE FROM {Schema}.apis WHERE id = $1", cancellationToken, apiId).ConfigureAwait(false) > 0;
    }, cancellationToken);

    public Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(CancellationToken cancellationToken) =>
        QueryAsync($"SELECT api_id, id, description, document, created FROM {Schema}.deployments ORDER BY api_id, created, id",
            r => new DeploymentRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4)), cancellationToken);

    public Task SaveDeploymentAsync(DeploymentRecord deployment, StageRecord? stage, CancellationToken cancellationToken) => ChangeAsync(async (connection, transaction) =>
    {
        await ExecuteAsync(connection, transaction, $"INSERT INTO {Schema}.deployments (api_id, id, description, document, created) VALUES ($1, $2, $3, $4, $5) "
            + "ON CONFLICT (api_id, id) DO UPDATE SET description = excluded.description",
            cancellationToken, deployment.ApiId, deployment.Id, deployment.Description, deployment.Document, deployment.CreatedUnixMs).ConfigureAwait(false);
        if (stage is not null)
        {
            await WriteStageAsync(connection, transaction, stage, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }, cancellationToken);

    public Task<bool> DeleteDeploymentAsync(string apiId, string deploymentId, CancellationToken cancellationToken) => ChangeAsync(async (connection, transaction) =>
        await ExecuteAsync(connection, transaction, $"DELETE FROM {Schema}.deployments WHERE api_id = $1 AND id = $2 "
            + $"AND NOT EXISTS (SELECT 1 FROM {Schema}.stages WHERE api_id = $1 AND deployment_id = $2)",
            cancellationToken, apiId, deploymentId).ConfigureAwait(false) > 0, cancellationToken);

    public Task<IReadOnlyList<StageRecord>> ListStagesAsync(CancellationToken cancellationToken) =>
        QueryAsync($"SELECT api_id, name, deployment_id, document, variables, throttles, created, cache, access_log, description, cache_flushes FROM {Schema}.stages ORDER BY api_id, name",
            r => new StageRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
                JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(4), Json)!,
                JsonSerializer.Deserialize<Dictionary<string, ThrottleLimit>>(r.GetString(5), Json)!, r.GetInt64(6),
                r.IsDBNull(7) ? null : JsonSerializer.Deserialize<StageCacheSettings>(r.GetString(7), Json),
                r.IsDBNull(8) ? null : JsonSerializer.Deserialize<StageAccessLogSettings>(r.GetString(8), Json),
                r.GetString(9), r.GetInt64(10)), cancellationToken);

    public Task SaveStageAsync(StageRecord stage, CancellationToken cancellationToken) => ChangeAsync(async (connection, transaction) =>
    {
        await WriteStageAsync(connection, transaction, stage, cancellationToken).ConfigureAwait(false);
        return true;
    }, cancellationToken);

    public Task<bool> DeleteStageAsync(string apiId, string stageName, CancellationToken cancellationToken) => ChangeAsync(async (connection, transaction) =>
    {
        var deleted = await ExecuteAsync(connection, transaction, $"DELETE FROM {Schema}.stages WHERE api_id = $1 AND name = $2",
            cancellationToken, apiId, stageName).ConfigureAwait(false) > 0;
        // Locked, as DeleteKeyAsync does: a plan attached to the stage meanwhile is seen and detached.
        var plans = await ReadPlansAsync(connection, transaction, $"SELECT body FROM {Schema}.usage_plans ORDER BY id FOR UPDATE", cancellationToken).ConfigureAwait(false);
        foreach (var plan in plans.Where(p => p.ApiStages.Any(s => s.ApiId == apiId && s.Stage == stageName)))
        {
            await WritePlanAsync(connection, transaction, plan with { ApiStages = [.. plan.ApiStages.Where(s => s.ApiId != apiId || s.Stage != stageName)] },
                cancellationToken).ConfigureAwait(false);
        }
        return deleted;
    }, cancellationToken);

    public Task<bool> FlushStageCacheAsync(string apiId, string stageName, CancellationToken cancellationToken) => ChangeAsync(async (connection, transaction) =>
        await ExecuteAsync(connection, transaction, $"UPDATE {Schema}.stages SET cache_flushes = cache_flushes + 1 WHERE api_id = $1 AND name = $2",
            cancellationToken, apiId, stageName).ConfigureAwait(false) > 0, cancellationToken);

    public Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(CancellationToken cancellationToken) =>
        QueryAsync($"SELECT id, name, description, enabled, value_hash, value_prefix, created FROM {Schema}.api_keys ORDER BY created, id",
            r => new ApiKeyRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetBoolean(3), (byte[])r.GetValue(4), r.GetString(5), r.GetInt64(6)), cancellationToken);

    public async Task SaveKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        try
        {
            await ChangeAsync(async (connection, transaction) =>
                await ExecuteAsync(connection, transaction, $"INSERT INTO {Schema}.api_keys (id, name, description, enabled, value_hash, value_prefix, created) "
                    + "VALUES ($1, $2, $3, $4, $5, $6, $7) "
                    + "ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, enabled = excluded.enabled",
                    cancellationToken, key.Id, key.Name, key.Description, key.Enabled, key.ValueHash, key.ValuePrefix, key.CreatedUnixMs).ConfigureAwait(false) > 0,
                cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new GatewayConflictException("An API key with this value already exists.");
        }
    }

    public Task<bool> DeleteKeyAsync(string keyId, CancellationToken cancellationToken) => ChangeAsync(async (connection, transaction) =>
    {
        var deleted = await ExecuteAsync(connection, transaction, $"DELETE FROM {Schema}.api_keys WHERE id = $1", cancellationToken, keyId).ConfigureAwait(false) > 0;
        // Locked, so a gateway adding the key to a plan meanwhile waits and then sees it gone.
        var plans = await ReadPlansAsync(connection, transaction, $"SELECT body FROM {Schema}.usage_plans ORDER BY id FOR UPDATE", cancellationToken).ConfigureAwait(false);
        foreach (var plan in plans.Where(p => p.KeyIds.Contains(keyId)))
        {
            await WritePlanAsync(connection, transaction, plan with { KeyIds = [.. plan.KeyIds.Where(k => k != keyId)] }, cancellationToken).ConfigureAwait(false);
        }
        return deleted;
    }, cancellationToken);

    public async Task<IReadOnlyList<UsagePlanRecord>> ListPlansAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadPlansAsync(connection, null, $"SELECT body FROM {Schema}.usage_plans ORDER BY created, id", cancellationToken).ConfigureAwait(false);
    }

    public Task SavePlanAsync(UsagePlanRecord plan, CancellationToken cancellationToken) => ChangeAsync(async (connection, transaction) =>
    {
        await WritePlanAsync(connection, transaction, plan, cancellationToken).ConfigureAwait(false);
        return true;
    }, cancellationToken);

    public Task<bool> DeletePlanAsync(string planId, CancellationToken cancellationToken) => ChangeAsync(async (connection, transaction) =>
        await ExecuteAsync(connection, transaction, $"DELETE FROM {Schema}.usage_plans WHERE id = $1", cancellationToken, planId).ConfigureAwait(false) > 0,
        cancellationToken);

    public async Task AddUsageAsync(IReadOnlyList<UsageRecord> increments, CancellationToken cancellationToken)
    {
        if (increments.Count == 0)
        {
            return;
        }
        // One statement over arrays: atomic, one round trip, and ON CONFLICT adds to what another gateway wrote.
        await using var command = _dataSource.CreateCommand($"INSERT INTO {Schema}.usage (plan_id, key_id, day, used) "
            + "SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::bigint[]) "
            + "ON CONFLICT (plan_id, key_id, day) DO UPDATE SET used = usage.used + excluded.used");
        // unnest rows must be unique per conflict key within one statement; the meter's batch is keyed so.
        command.Parameters.Add(new NpgsqlParameter { Value = increments.Select(i => i.PlanId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = increments.Select(i => i.KeyId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = increments.Select(i => i.Day).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = increments.Select(i => i.Used).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<UsageRecord>> GetUsageAsync(string planId, DateOnly from, DateOnly to, CancellationToken cancellationToken) =>
        QueryAsync($"SELECT plan_id, key_id, day, used FROM {Schema}.usage WHERE plan_id = $1 AND day >= $2 AND day <= $3 ORDER BY key_id, day",
            r => new UsageRecord(r.GetString(0), r.GetString(1), r.GetFieldValue<DateOnly>(2), r.GetInt64(3)), cancellationToken, planId, from, to);

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static Task WriteStageAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StageRecord stage, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction, $"INSERT INTO {Schema}.stages (api_id, name, deployment_id, document, variables, throttles, created, cache, access_log, description) "
            + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
            + "ON CONFLICT (api_id, name) DO UPDATE SET deployment_id = excluded.deployment_id, document = excluded.document, "
            + "variables = excluded.variables, throttles = excluded.throttles, cache = excluded.cache, access_log = excluded.access_log, description = excluded.description",
            cancellationToken, stage.ApiId, stage.StageName, stage.DeploymentId, stage.Document, Jsonb(stage.Variables), Jsonb(stage.MethodThrottles),
            stage.CreatedUnixMs, Jsonb(stage.Cache), Jsonb(stage.AccessLog), stage.Description);

    private static Task WritePlanAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, UsagePlanRecord plan, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction, $"INSERT INTO {Schema}.usage_plans (id, body, created) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            cancellationToken, plan.Id, Jsonb(plan), plan.CreatedUnixMs);

    private static async Task<List<UsagePlanRecord>> ReadPlansAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var plans = new List<UsagePlanRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            plans.Add(JsonSerializer.Deserialize<UsagePlanRecord>(reader.GetString(0), Json)!);
        }
        return plans;
    }

    private static NpgsqlParameter Jsonb<T>(T? value) where T : class =>
        new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = value is null ? DBNull.Value : JsonSerializer.Serialize(value, Json) };

    /// <summary>Runs a write in a transaction that also bumps the change version.</summary>
    private async Task<T> ChangeAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> write, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var result = await write(connection, transaction).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"UPDATE {Schema}.changes SET version = version + 1", cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        AddParameters(command, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = _dataSource.CreateCommand(sql);
        AddParameters(command, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(map(reader));
        }
        return rows;
    }

    private static void AddParameters(NpgsqlCommand command, object[] parameters)
    {
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter as NpgsqlParameter ?? new NpgsqlParameter { Value = parameter });
        }
    }
}
