using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sluice.Gateway.Storage;

/// <summary>
/// The embedded store: one SQLite file. Plans and stages keep their nested settings as JSON
/// columns; usage is one row per plan, key and day. Calls are short, so they run inline
/// (Microsoft.Data.Sqlite's async methods are synchronous anyway).
/// </summary>
internal sealed class SqliteGatewayStore : IGatewayStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _connectionString;

    public SqliteGatewayStore(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        using var connection = Open();
        Execute(connection, null, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS apis (id TEXT PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL, document TEXT NOT NULL, created INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS stages (api_id TEXT NOT NULL, name TEXT NOT NULL, deployment_id TEXT NOT NULL, document TEXT NOT NULL,
                variables TEXT NOT NULL, throttles TEXT NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (api_id, name));
            CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, enabled INTEGER NOT NULL,
                value_hash BLOB NOT NULL UNIQUE, value_prefix TEXT NOT NULL, created INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS usage_plans (id TEXT PRIMARY KEY, body TEXT NOT NULL, created INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS usage (plan_id TEXT NOT NULL, key_id TEXT NOT NULL, day TEXT NOT NULL, used INTEGER NOT NULL, PRIMARY KEY (plan_id, key_id, day));
            """);
        // Stores made before the stage cache, access log, description and cache flushes lack their columns.
        foreach (var (column, definition) in new[] { ("cache", "TEXT"), ("access_log", "TEXT"), ("description", "TEXT NOT NULL DEFAULT ''"), ("cache_flushes", "INTEGER NOT NULL DEFAULT 0") })
        {
            using var columns = connection.CreateCommand();
            columns.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('stages') WHERE name = '{column}'";
            if (Convert.ToInt64(columns.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
            {
                Execute(connection, null, $"ALTER TABLE stages ADD COLUMN {column} {definition}");
            }
        }
        // Stores made before deployments were kept apart from stages: each stage's snapshot becomes its deployment.
        Execute(connection, null, """
            CREATE TABLE IF NOT EXISTS deployments (api_id TEXT NOT NULL, id TEXT NOT NULL, description TEXT NOT NULL, document TEXT NOT NULL,
                created INTEGER NOT NULL, PRIMARY KEY (api_id, id));
            INSERT OR IGNORE INTO deployments (api_id, id, description, document, created) SELECT api_id, deployment_id, '', document, created FROM stages;
            """);
    }

    /// <summary>The schema is made by the constructor.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>One gateway owns an SQLite file, so there is nothing to reload from.</summary>
    public Task<long> GetChangeVersionAsync(CancellationToken cancellationToken) => Task.FromResult(0L);

    public Task<IReadOnlyList<ApiRecord>> ListApisAsync(CancellationToken cancellationToken) =>
        Query("SELECT id, name, version, document, created FROM apis ORDER BY created, id",
            r => new ApiRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4)));

    public Task SaveApiAsync(ApiRecord api, CancellationToken cancellationToken)
    {
        using var connection = Open();
        Execute(connection, null, "INSERT INTO apis (id, name, version, document, created) VALUES ($id, $name, $version, $document, $created) "
            + "ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version, document = excluded.document",
            ("$id", api.Id), ("$name", api.Name), ("$version", api.Version), ("$document", api.Document), ("$created", api.CreatedUnixMs));
        return Task.CompletedTask;
    }

    public Task<bool> DeleteApiAsync(string apiId, CancellationToken cancellationToken)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, "DELETE FROM stages WHERE api_id = $id", ("$id", apiId));
        Execute(connection, transaction, "DELETE FROM deployments WHERE api_id = $id", ("$id", apiId));
        var deleted = Execute(connection, transaction, "DELETE FROM apis WHERE id = $id", ("$id", apiId)) > 0;
        transaction.Commit();
        return Task.FromResult(deleted);
    }

    public Task<IReadOnlyList<StageRecord>> ListStagesAsync(CancellationToken cancellationToken) =>
        Query("SELECT api_id, name, deployment_id, document, variables, throttles, created, cache, access_log, description, cache_flushes FROM stages ORDER BY api_id, name",
            r => new StageRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
                JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(4), Json)!,
                JsonSerializer.Deserialize<Dictionary<string, ThrottleLimit>>(r.GetString(5), Json)!, r.GetInt64(6),
                r.IsDBNull(7) ? null : JsonSerializer.Deserialize<StageCacheSettings>(r.GetString(7), Json),
                r.IsDBNull(8) ? null : JsonSerializer.Deserialize<StageAccessLogSettings>(r.GetString(8), Json),
                r.GetString(9), r.GetInt64(10)));

    public Task SaveStageAsync(StageRecord stage, CancellationToken cancellationToken)
    {
        using var connection = Open();
        WriteStage(connection, null, stage);
        return Task.CompletedTask;
    }

    public Task<bool> DeleteStageAsync(string apiId, string stageName, CancellationToken cancellationToken)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        var deleted = Execute(connection, transaction, "DELETE FROM stages WHERE api_id = $api AND name = $name", ("$api", apiId), ("$name", stageName)) > 0;
        foreach (var plan in ReadPlans(connection, transaction).Where(p => p.ApiStages.Any(s => s.ApiId == apiId && s.Stage == stageName)))
        {
            WritePlan(connection, transaction, plan with { ApiStages = [.. plan.ApiStages.Where(s => s.ApiId != apiId || s.Stage != stageName)] });
        }
        transaction.Commit();
        return Task.FromResult(deleted);
    }

    public Task<bool> FlushStageCacheAsync(string apiId, string stageName, CancellationToken cancellationToken)
    {
        using var connection = Open();
        return Task.FromResult(Execute(connection, null, "UPDATE stages SET cache_flushes = cache_flushes + 1 WHERE api_id = $api AND name = $name",
            ("$api", apiId), ("$name", stageName)) > 0);
    }

    public Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(CancellationToken cancellationToken) =>
        Query("SELECT api_id, id, description, document, created FROM deployments ORDER BY api_id, created, id",
            r => new DeploymentRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4)));

    public Task SaveDeploymentAsync(DeploymentRecord deployment, StageRecord? stage, CancellationToken cancellationToken)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, "INSERT INTO deployments (api_id, id, description, document, created) VALUES ($api, $id, $description, $document, $created) "
            + "ON CONFLICT (api_id, id) DO UPDATE SET description = excluded.description",
            ("$api", deployment.ApiId), ("$id", deployment.Id), ("$description", deployment.Description), ("$document", deployment.Document),
            ("$created", deployment.CreatedUnixMs));
        if (stage is not null)
        {
            WriteStage(connection, transaction, stage);
        }
        transaction.Commit();
        return Task.CompletedTask;
    }

    public Task<bool> DeleteDeploymentAsync(string apiId, string deploymentId, CancellationToken cancellationToken)
    {
        using var connection = Open();
        return Task.FromResult(Execute(connection, null, "DELETE FROM deployments WHERE api_id = $api AND id = $id "
            + "AND NOT EXISTS (SELECT 1 FROM stages WHERE api_id = $api AND deployment_id = $id)", ("$api", apiId), ("$id", deploymentId)) > 0);
    }

    private static void WriteStage(SqliteConnection connection, SqliteTransaction? transaction, StageRecord stage) =>
        Execute(connection, transaction, "INSERT INTO stages (api_id, name, deployment_id, document, variables, throttles, created, cache, access_log, description) "
            + "VALUES ($api, $name, $deployment, $document, $variables, $throttles, $created, $cache, $accessLog, $description) "
            + "ON CONFLICT (api_id, name) DO UPDATE SET deployment_id = excluded.deployment_id, document = excluded.document, "
            + "variables = excluded.variables, throttles = excluded.throttles, cache = excluded.cache, access_log = excluded.access_log, description = excluded.description",
            ("$api", stage.ApiId), ("$name", stage.StageName), ("$deployment", stage.DeploymentId), ("$document", stage.Document),
            ("$variables", JsonSerializer.Serialize(stage.Variables, Json)), ("$throttles", JsonSerializer.Serialize(stage.MethodThrottles, Json)),
            ("$created", stage.CreatedUnixMs), ("$cache", stage.Cache is null ? DBNull.Value : JsonSerializer.Serialize(stage.Cache, Json)),
            ("$accessLog", stage.AccessLog is null ? DBNull.Value : JsonSerializer.Serialize(stage.AccessLog, Json)), ("$description", stage.Description));

    public Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(CancellationToken cancellationToken) =>
        Query("SELECT id, name, description, enabled, value_hash, value_prefix, created FROM api_keys ORDER BY created, id",
            r => new ApiKeyRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3) != 0, (byte[])r.GetValue(4), r.GetString(5), r.GetInt64(6)));

    public Task SaveKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        using var connection = Open();
        try
        {
            Execute(connection, null, "INSERT INTO api_keys (id, name, description, enabled, value_hash, value_prefix, created) "
                + "VALUES ($id, $name, $description, $enabled, $hash, $prefix, $created) "
                + "ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, enabled = excluded.enabled",
                ("$id", key.Id), ("$name", key.Name), ("$description", key.Description), ("$enabled", key.Enabled ? 1 : 0),
                ("$hash", key.ValueHash), ("$prefix", key.ValuePrefix), ("$created", key.CreatedUnixMs));
        }
        catch (SqliteException exception) when (exception.SqliteErrorCode == 19)
        {
            throw new GatewayConflictException("An API key with this value already exists.");
        }
        return Task.CompletedTask;
    }

    public Task<bool> DeleteKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        var deleted = Execute(connection, transaction, "DELETE FROM api_keys WHERE id = $id", ("$id", keyId)) > 0;
        foreach (var plan in ReadPlans(connection, transaction).Where(p => p.KeyIds.Contains(keyId)))
        {
            WritePlan(connection, transaction, plan with { KeyIds = [.. plan.KeyIds.Where(k => k != keyId)] });
        }
        transaction.Commit();
        return Task.FromResult(deleted);
    }

    public Task<IReadOnlyList<UsagePlanRecord>> ListPlansAsync(CancellationToken cancellationToken)
    {
        using var connection = Open();
        return Task.FromResult<IReadOnlyList<UsagePlanRecord>>(ReadPlans(connection, null));
    }

    public Task SavePlanAsync(UsagePlanRecord plan, CancellationToken cancellationToken)
    {
        using var connection = Open();
        WritePlan(connection, null, plan);
        return Task.CompletedTask;
    }

    public Task<bool> DeletePlanAsync(string planId, CancellationToken cancellationToken)
    {
        using var connection = Open();
        return Task.FromResult(Execute(connection, null, "DELETE FROM usage_plans WHERE id = $id", ("$id", planId)) > 0);
    }

    public Task AddUsageAsync(IReadOnlyList<UsageRecord> increments, CancellationToken cancellationToken)
    {
        if (increments.Count == 0)
        {
            return Task.CompletedTask;
        }
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        foreach (var increment in increments)
        {
            Execute(connection, transaction, "INSERT INTO usage (plan_id, key_id, day, used) VALUES ($plan, $key, $day, $used) "
                + "ON CONFLICT (plan_id, key_id, day) DO UPDATE SET used = used + excluded.used",
                ("$plan", increment.PlanId), ("$key", increment.KeyId), ("$day", Day(increment.Day)), ("$used", increment.Used));
        }
        transaction.Commit();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<UsageRecord>> GetUsageAsync(string planId, DateOnly from, DateOnly to, CancellationToken cancellationToken) =>
        Query("SELECT plan_id, key_id, day, used FROM usage WHERE plan_id = $plan AND day >= $from AND day <= $to ORDER BY key_id, day",
            r => new UsageRecord(r.GetString(0), r.GetString(1), DateOnly.ParseExact(r.GetString(2), "yyyy-MM-dd", CultureInfo.InvariantCulture), r.GetInt64(3)),
            ("$plan", planId), ("$from", Day(from)), ("$to", Day(to)));

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static List<UsagePlanRecord> ReadPlans(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT body FROM usage_plans ORDER BY created, id";
        using var reader = command.ExecuteReader();
        var plans = new List<UsagePlanRecord>();
        while (reader.Read())
        {
            plans.Add(JsonSerializer.Deserialize<UsagePlanRecord>(reader.GetString(0), Json)!);
        }
        return plans;
    }

    private static void WritePlan(SqliteConnection connection, SqliteTransaction? transaction, UsagePlanRecord plan) =>
        Execute(connection, transaction, "INSERT INTO usage_plans (id, body, created) VALUES ($id, $body, $created) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            ("$id", plan.Id), ("$body", JsonSerializer.Serialize(plan, Json)), ("$created", plan.CreatedUnixMs));

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return command.ExecuteNonQuery();
    }

    private Task<IReadOnlyList<T>> Query<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object Value)[] parameters)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(map(reader));
        }
        return Task.FromResult<IReadOnlyList<T>>(rows);
    }
}
