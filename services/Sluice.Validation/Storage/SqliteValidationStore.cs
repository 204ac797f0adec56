using Microsoft.Data.Sqlite;

using Sluice.Validation.References;

namespace Sluice.Validation.Storage;

/// <summary>
/// The registry in one SQLite file (embedded profile). Writes are serialized in-process and each
/// runs in an immediate transaction, so version numbers are assigned without races; the
/// (name, version) primary keys make a duplicate impossible even so.
/// </summary>
internal sealed class SqliteValidationStore : IValidationStore, IDisposable
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public SqliteValidationStore(string databasePath)
    {
        SQLitePCL.Batteries_V2.Init();
        var directory = Path.GetDirectoryName(Path.GetFullPath(databasePath));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
        }.ToString();
        CreateTables();
    }

    public async Task<(StoredSchema Schema, bool Created)> AddSchemaAsync(string name, int? version, string schemaJson, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction(deferred: false);
            if (version is { } requested)
            {
                if (ReadSchema(connection, transaction, name, requested) is { } existing)
                {
                    return existing.SchemaJson == schemaJson ? (existing, false) : throw new SchemaVersionConflictException(name, requested);
                }
            }
            else if (FindSchemaWithText(connection, transaction, name, schemaJson) is { } same)
            {
                return (same, false);
            }

            var assigned = version ?? NextSchemaVersion(connection, transaction, name);
            var schema = new StoredSchema(name, assigned, schemaJson, TruncateToMilliseconds(now));
            using (var insert = Command(connection, transaction,
                "INSERT INTO schemas (name, version, schema_json, created_at) VALUES ($name, $version, $text, $created)"))
            {
                insert.Parameters.AddWithValue("$name", name);
                insert.Parameters.AddWithValue("$version", assigned);
                insert.Parameters.AddWithValue("$text", schemaJson);
                insert.Parameters.AddWithValue("$created", schema.CreatedAt.ToUnixTimeMilliseconds());
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
            return (schema, true);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Task<StoredSchema?> GetSchemaAsync(string name, int? version, CancellationToken cancellationToken)
    {
        using var connection = Open();
        return Task.FromResult(version is { } v ? ReadSchema(connection, null, name, v) : ReadLatestSchema(connection, name));
    }

    public Task<IReadOnlyList<StoredSchemaInfo>> ListSchemasAsync(string? name, SchemaCursor? after, int limit, CancellationToken cancellationToken)
    {
        using var connection = Open();
        var filters = new List<string>();
        using var command = connection.CreateCommand();
        if (name is not null)
        {
            filters.Add("name = $name");
            command.Parameters.AddWithValue("$name", name);
        }
        if (after is { } cursor)
        {
            filters.Add("(name > $afterName OR (name = $afterName AND version > $afterVersion))");
            command.Parameters.AddWithValue("$afterName", cursor.Name);
            command.Parameters.AddWithValue("$afterVersion", cursor.Version);
        }
        command.CommandText = "SELECT name, version, length(schema_json), created_at FROM schemas"
            + (filters.Count > 0 ? " WHERE " + string.Join(" AND ", filters) : "")
            + " ORDER BY name, version LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        var results = new List<StoredSchemaInfo>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            results.Add(new StoredSchemaInfo(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), FromUnixMilliseconds(reader.GetInt64(3))));
        }
        return Task.FromResult<IReadOnlyList<StoredSchemaInfo>>(results);
    }

    public async Task<(StoredRuleset Ruleset, bool Created)> AddRulesetAsync(string source, string rulesetText, int ruleCount, IReadOnlyDictionary<string, string> references,
        IReadOnlyDictionary<string, WarehouseTableName> referenceTables, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction(deferred: false);
            var current = ReadRuleset(connection, transaction, source, version: null);
            if (current is not null && current.RulesetText == rulesetText
                && current.References.Count == references.Count && references.All(pair => current.References.TryGetValue(pair.Key, out var prefix) && prefix == pair.Value)
                && current.ReferenceTables.Count == referenceTables.Count && referenceTables.All(pair => current.ReferenceTables.TryGetValue(pair.Key, out var table) && table == pair.Value))
            {
                return (current, false);
            }

            var ruleset = new StoredRuleset(source, (current?.Version ?? 0) + 1, rulesetText, ruleCount, TruncateToMilliseconds(now)) { References = references, ReferenceTables = referenceTables };
            foreach (var (alias, prefix) in references)
            {
                using var reference = Command(connection, transaction,
                    "INSERT INTO ruleset_references (source, version, alias, key_prefix) VALUES ($source, $version, $alias, $prefix)");
                reference.Parameters.AddWithValue("$source", source);
                reference.Parameters.AddWithValue("$version", ruleset.Version);
                reference.Parameters.AddWithValue("$alias", alias);
                reference.Parameters.AddWithValue("$prefix", prefix);
                reference.ExecuteNonQuery();
            }
            foreach (var (alias, table) in referenceTables)
            {
                using var reference = Command(connection, transaction,
                    "INSERT INTO ruleset_reference_tables (source, version, alias, database_name, table_name) VALUES ($source, $version, $alias, $database, $table)");
                reference.Parameters.AddWithValue("$source", source);
                reference.Parameters.AddWithValue("$version", ruleset.Version);
                reference.Parameters.AddWithValue("$alias", alias);
                reference.Parameters.AddWithValue("$database", table.Database);
                reference.Parameters.AddWithValue("$table", table.Table);
                reference.ExecuteNonQuery();
            }
            using (var insert = Command(connection, transaction,
                "INSERT INTO rulesets (source, version, ruleset_text, rule_count, created_at) VALUES ($source, $version, $text, $rules, $created)"))
            {
                insert.Parameters.AddWithValue("$source", source);
                insert.Parameters.AddWithValue("$version", ruleset.Version);
                insert.Parameters.AddWithValue("$text", rulesetText);
                insert.Parameters.AddWithValue("$rules", ruleCount);
                insert.Parameters.AddWithValue("$created", ruleset.CreatedAt.ToUnixTimeMilliseconds());
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
            return (ruleset, true);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Task<StoredRuleset?> GetRulesetAsync(string source, int? version, CancellationToken cancellationToken)
    {
        using var connection = Open();
        return Task.FromResult(ReadRuleset(connection, null, source, version));
    }

    public void Dispose()
    {
        // Pooled connections keep the file open; release them so a restarted service (or a test
        // deleting the directory) finds it closed.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        _writeLock.Dispose();
    }

    private void CreateTables()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS schemas (
                name TEXT NOT NULL,
                version INTEGER NOT NULL,
                schema_json TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (name, version)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS rulesets (
                source TEXT NOT NULL,
                version INTEGER NOT NULL,
                ruleset_text TEXT NOT NULL,
                rule_count INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (source, version)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS ruleset_references (
                source TEXT NOT NULL,
                version INTEGER NOT NULL,
                alias TEXT NOT NULL,
                key_prefix TEXT NOT NULL,
                PRIMARY KEY (source, version, alias)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS ruleset_reference_tables (
                source TEXT NOT NULL,
                version INTEGER NOT NULL,
                alias TEXT NOT NULL,
                database_name TEXT NOT NULL,
                table_name TEXT NOT NULL,
                PRIMARY KEY (source, version, alias)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS metric_history (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                dataset TEXT NOT NULL,
                rule TEXT NOT NULL,
                metric TEXT NOT NULL,
                evaluated_at INTEGER NOT NULL,
                value REAL NOT NULL
            );
            CREATE INDEX IF NOT EXISTS metric_history_by_dataset ON metric_history (dataset, rule, metric, id);
            """;
        command.ExecuteNonQuery();
    }

    public Task<IReadOnlyDictionary<(string Rule, string Metric), IReadOnlyList<double>>> GetMetricHistoryAsync(string dataset, int perMetric, CancellationToken cancellationToken)
    {
        using var connection = Open();
        using var command = Command(connection, null, """
            SELECT rule, metric, value FROM (
                SELECT rule, metric, value, id,
                       ROW_NUMBER() OVER (PARTITION BY rule, metric ORDER BY id DESC) AS recent
                FROM metric_history WHERE dataset = $dataset)
            WHERE recent <= $limit
            ORDER BY rule, metric, id DESC
            """);
        command.Parameters.AddWithValue("$dataset", dataset);
        command.Parameters.AddWithValue("$limit", perMetric);
        var history = new Dictionary<(string, string), List<double>>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var key = (reader.GetString(0), reader.GetString(1));
            if (!history.TryGetValue(key, out var values))
            {
                history[key] = values = [];
            }
            values.Add(reader.GetDouble(2));
        }
        return Task.FromResult<IReadOnlyDictionary<(string Rule, string Metric), IReadOnlyList<double>>>(
            history.ToDictionary(pair => pair.Key, pair => (IReadOnlyList<double>)pair.Value));
    }

    public async Task AddMetricsAsync(string dataset, DateTimeOffset evaluatedAt, IReadOnlyList<(string Rule, string Metric, double Value)> metrics, CancellationToken cancellationToken)
    {
        if (metrics.Count == 0)
        {
            return;
        }
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction(deferred: false);
            using var insert = Command(connection, transaction,
                "INSERT INTO metric_history (dataset, rule, metric, evaluated_at, value) VALUES ($dataset, $rule, $metric, $at, $value)");
            var rule = insert.Parameters.Add("$rule", SqliteType.Text);
            var metric = insert.Parameters.Add("$metric", SqliteType.Text);
            var value = insert.Parameters.Add("$value", SqliteType.Real);
            insert.Parameters.AddWithValue("$dataset", dataset);
            insert.Parameters.AddWithValue("$at", evaluatedAt.ToUnixTimeMilliseconds());
            foreach (var entry in metrics)
            {
                rule.Value = entry.Rule;
                metric.Value = entry.Metric;
                value.Value = entry.Value;
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static StoredSchema? ReadSchema(SqliteConnection connection, SqliteTransaction? transaction, string name, int version)
    {
        using var command = Command(connection, transaction,
            "SELECT name, version, schema_json, created_at FROM schemas WHERE name = $name AND version = $version");
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$version", version);
        return ReadSingleSchema(command);
    }

    private static StoredSchema? ReadLatestSchema(SqliteConnection connection, string name)
    {
        using var command = Command(connection, null,
            "SELECT name, version, schema_json, created_at FROM schemas WHERE name = $name ORDER BY version DESC LIMIT 1");
        command.Parameters.AddWithValue("$name", name);
        return ReadSingleSchema(command);
    }

    private static StoredSchema? FindSchemaWithText(SqliteConnection connection, SqliteTransaction transaction, string name, string schemaJson)
    {
        using var command = Command(connection, transaction,
            "SELECT name, version, schema_json, created_at FROM schemas WHERE name = $name AND schema_json = $text ORDER BY version LIMIT 1");
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$text", schemaJson);
        return ReadSingleSchema(command);
    }

    private static StoredSchema? ReadSingleSchema(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new StoredSchema(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), FromUnixMilliseconds(reader.GetInt64(3)))
            : null;
    }

    private static StoredRuleset? ReadRuleset(SqliteConnection connection, SqliteTransaction? transaction, string source, int? version)
    {
        using var command = Command(connection, transaction, version is null
            ? "SELECT source, version, ruleset_text, rule_count, created_at FROM rulesets WHERE source = $source ORDER BY version DESC LIMIT 1"
            : "SELECT source, version, ruleset_text, rule_count, created_at FROM rulesets WHERE source = $source AND version = $version");
        command.Parameters.AddWithValue("$source", source);
        if (version is { } v)
        {
            command.Parameters.AddWithValue("$version", v);
        }
        StoredRuleset ruleset;
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read())
            {
                return null;
            }
            ruleset = new StoredRuleset(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetInt32(3), FromUnixMilliseconds(reader.GetInt64(4)));
        }
        using var references = Command(connection, transaction, "SELECT alias, key_prefix FROM ruleset_references WHERE source = $source AND version = $version ORDER BY alias");
        references.Parameters.AddWithValue("$source", ruleset.Source);
        references.Parameters.AddWithValue("$version", ruleset.Version);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var reader = references.ExecuteReader())
        {
            while (reader.Read())
            {
                map[reader.GetString(0)] = reader.GetString(1);
            }
        }
        using var tables = Command(connection, transaction,
            "SELECT alias, database_name, table_name FROM ruleset_reference_tables WHERE source = $source AND version = $version ORDER BY alias");
        tables.Parameters.AddWithValue("$source", ruleset.Source);
        tables.Parameters.AddWithValue("$version", ruleset.Version);
        var tableMap = new Dictionary<string, WarehouseTableName>(StringComparer.Ordinal);
        using (var reader = tables.ExecuteReader())
        {
            while (reader.Read())
            {
                tableMap[reader.GetString(0)] = new WarehouseTableName(reader.GetString(1), reader.GetString(2));
            }
        }
        return ruleset with { References = map, ReferenceTables = tableMap };
    }

    private static int NextSchemaVersion(SqliteConnection connection, SqliteTransaction transaction, string name)
    {
        using var command = Command(connection, transaction, "SELECT coalesce(max(version), 0) + 1 FROM schemas WHERE name = $name");
        command.Parameters.AddWithValue("$name", name);
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset time) => FromUnixMilliseconds(time.ToUnixTimeMilliseconds());

    private static DateTimeOffset FromUnixMilliseconds(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
}
