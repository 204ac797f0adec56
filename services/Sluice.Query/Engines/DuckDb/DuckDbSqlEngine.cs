using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.Engines.DuckDb;

/// <summary>
/// The embedded warehouse: each database is a DuckDB file <c>{directory}/{name}.duckdb</c>,
/// speaking PostgreSQL-style SQL, with results in Redshift's types. Connections to one file in this
/// process share one DuckDB instance (DuckDB.NET keeps it while a connection is open), so
/// statements run in parallel on it. One idle connection per file is kept open for the engine's
/// life, so that instance, its settings and its attached lake outlive the statements: otherwise a
/// moment with no statement running closed it (a checkpoint), and the next statement reopened the
/// file, locked it down and attached the lake again.
/// </summary>
public sealed partial class DuckDbSqlEngine : IConnectionSqlEngine, IDisposable
{
    /// <inheritdoc />
    public bool BlocksCallingThread => true;

    // The column plan of each open reader, from DescribeColumns to the ReadField calls that follow.
    private readonly ConditionalWeakTable<DbDataReader, DuckDbColumn[]> _plans = [];
    private readonly string _directory;
    private readonly Lazy<(ILakeCatalog? Lake, string? ReadableDirectory)> _lake;
    private readonly Lock _lockdown = new();

    // Per database file, the connection that keeps its instance open; set once it is locked down.
    private readonly ConcurrentDictionary<string, DuckDBConnection> _keepers = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <param name="directory">Where the database files live; created if absent.</param>
    /// <param name="lake">
    /// Creates, on first use, the lake tables attached to every connection as catalog <c>lake</c>
    /// and the one folder statements may read files from; null for neither. Deferred so that
    /// creating the engine never waits on the object store.
    /// </param>
    internal DuckDbSqlEngine(string directory, Func<(ILakeCatalog? Lake, string? ReadableDirectory)>? lake = null)
    {
        _directory = Path.GetFullPath(directory);
        _lake = new Lazy<(ILakeCatalog?, string?)>(lake ?? (() => (null, null)));
        Directory.CreateDirectory(_directory);
    }

    /// <summary>The lake attached to this engine's connections as catalog <c>lake</c>; null when the lake is off.</summary>
    internal ILakeCatalog? Lake => _lake.Value.Lake;

    /// <summary>The file of <paramref name="database"/>, after checking that the name is a plain identifier.</summary>
    public string DatabasePath(string database)
    {
        if (!DatabaseName().IsMatch(database))
        {
            throw QueryException.Validation("Database", $"Database name '{database}' is invalid: use letters, digits and underscores only.");
        }
        return Path.Combine(_directory, database + ".duckdb");
    }

    /// <summary>Opens <paramref name="database"/>, creating its file if it does not exist yet.</summary>
    internal async Task<DuckDBConnection> OpenOrCreateAsync(string database, CancellationToken cancellationToken)
    {
        var path = DatabasePath(database);
        var connection = new DuckDBConnection(ConnectionString(path));
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_keepers.ContainsKey(path))
            {
                KeepOpen(path);
            }
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // Extensions come only from the package (json, parquet, icu are built in): never downloaded.
    private static string ConnectionString(string path) => "Data Source=" + path + ";autoinstall_known_extensions=false";

    /// <summary>
    /// Opens the connection that keeps the instance of <paramref name="path"/> open, and locks the
    /// instance down. Called while another connection to the file is open, so both share the instance.
    /// </summary>
    private void KeepOpen(string path)
    {
        lock (_lockdown)
        {
            if (_keepers.ContainsKey(path))
            {
                return;
            }
            ObjectDisposedException.ThrowIf(_disposed, this);
            var keeper = new DuckDBConnection(ConnectionString(path));
            keeper.Open();
            try
            {
                LockDown(keeper);
            }
            catch
            {
                keeper.Dispose();
                throw;
            }
            _keepers[path] = keeper;
        }
    }

    /// <summary>Closes the kept connections: each file's instance closes with its last statement's connection.</summary>
    public void Dispose()
    {
        lock (_lockdown)
        {
            _disposed = true;
            foreach (var keeper in _keepers.Values)
            {
                keeper.Dispose();
            }
            _keepers.Clear();
        }
    }

    /// <summary>
    /// A statement may read files only in the lake: without this, read_csv('/etc/passwd') or COPY
    /// ... TO would reach the whole file system with the service's rights. DuckDB cannot turn
    /// external access back on while the database is open, and the setting belongs to the database
    /// instance that this process's connections to one file share, so it is set once per instance.
    /// </summary>
    private void LockDown(DuckDBConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT current_setting('enable_external_access')";
        if (command.ExecuteScalar() is false)
        {
            return;
        }
        var readable = _lake.Value.ReadableDirectory is { } folder ? Path.GetFullPath(folder) : null;
        var allowed = readable is null ? "[]" : "['" + readable.Replace("'", "''", StringComparison.Ordinal) + "/']";
        command.CommandText = $"SET allowed_directories = {allowed}; SET enable_external_access = false;";
        command.ExecuteNonQuery();
    }

    public async Task<DbConnection> OpenAsync(string database, CancellationToken cancellationToken)
    {
        if (!File.Exists(DatabasePath(database)))
        {
            throw QueryException.Validation("Database", $"Database '{database}' does not exist.");
        }
        var connection = await OpenOrCreateAsync(database, cancellationToken).ConfigureAwait(false);
        try
        {
            if (_lake.Value.Lake is { } lake)
            {
                await lake.AttachAsync(connection, DatabasePath(database), cancellationToken).ConfigureAwait(false);
            }
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public DbCommand CreateCommand(DbConnection connection, string sql, IReadOnlyList<SqlParameter> parameters)
    {
        var command = ((DuckDBConnection)connection).CreateCommand();
        // Rows are produced as the reader asks for them, not materialized whole first: the result writer (and a
        // stream following it) starts at the first rows, and a huge result costs no more memory than a few chunks.
        command.UseStreamingMode = true;
        if (parameters.Count == 0)
        {
            command.CommandText = sql;
            return command;
        }
        // Rewritten to $1, $2 ... by Sluice's own scanner, so the same rules decide what a parameter
        // is on every engine. Values are bound as text; DuckDB casts them where the statement
        // compares them with a typed column, as for an untyped literal.
        var references = SqlParameterScanner.Scan(sql);
        var order = parameters.Select(p => p.Name).ToList();
        command.CommandText = SqlParameterScanner.ToPositional(sql, references, order, position => "$" + position);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new DuckDBParameter(parameter.Value));
        }
        return command;
    }

    public IDisposable InterruptOnCancel(DbConnection connection, CancellationToken cancellationToken)
    {
        // DuckDB checks for an interrupt inside long operators too (a big join, a sort).
        var duck = (DuckDBConnection)connection;
        return cancellationToken.Register(static state => InterruptQuietly((DuckDBConnection)state!), duck);
    }

    public IReadOnlyList<ColumnMetadata> DescribeColumns(DbDataReader reader)
    {
        var plan = DuckDbColumn.Describe((DuckDBDataReader)reader);
        _plans.AddOrUpdate(reader, plan);
        var columns = new ColumnMetadata[plan.Length];
        for (var i = 0; i < plan.Length; i++)
        {
            columns[i] = plan[i].ToMetadata(reader.GetName(i));
        }
        return columns;
    }

    public Field ReadField(DbDataReader reader, int ordinal) => PlanOf(reader)[ordinal].Read(reader, ordinal);

    public Action<ResultRecordEncoder> CreateRecordWriter(DbDataReader reader)
    {
        var plan = PlanOf(reader);
        return record =>
        {
            for (var i = 0; i < plan.Length; i++)
            {
                plan[i].Write(reader, i, record);
            }
        };
    }

    private DuckDbColumn[] PlanOf(DbDataReader reader)
    {
        if (!_plans.TryGetValue(reader, out var plan))
        {
            plan = DuckDbColumn.Describe((DuckDBDataReader)reader);
            _plans.AddOrUpdate(reader, plan);
        }
        return plan;
    }

    /// <summary>
    /// INSERT, UPDATE, DELETE and MERGE without RETURNING: DuckDB.NET's reader hides the count of
    /// changed rows that ExecuteNonQuery returns.
    /// </summary>
    public bool CountsOnlyThroughNonQuery(string sql) => RowChange().IsMatch(sql) && !Returning().IsMatch(sql);

    /// <summary>
    /// DuckDB's messages name their kind first ("Catalog Error: Table with name x does not exist!")
    /// and end with the statement text and a caret. The kind becomes Redshift's "ERROR:" prefix and
    /// the hint stays; the echo of the SQL the caller sent is dropped.
    /// </summary>
    public string DescribeError(DbException exception) => DuckDbErrors.Describe(exception.Message);

    public Task<IReadOnlyList<string>> ListDatabasesAsync(string database, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> names = Directory.EnumerateFiles(_directory, "*.duckdb")
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(names);
    }

    public Task CheckReachableAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_directory))
        {
            throw new DirectoryNotFoundException($"The DuckDB directory {_directory} is gone.");
        }
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<string>> ListSchemasAsync(string database, string? schemaPattern, CancellationToken cancellationToken)
    {
        var schemas = await QueryAsync(database,
            "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = current_database() AND schema_name NOT IN ('information_schema', 'pg_catalog') ORDER BY schema_name",
            reader => reader.GetString(0), cancellationToken).ConfigureAwait(false);
        return schemas.Where(s => LikePattern.Matches(schemaPattern, s)).ToList();
    }

    public async Task<IReadOnlyList<TableMember>> ListTablesAsync(string database, string? schemaPattern, string? tablePattern, CancellationToken cancellationToken)
    {
        var tables = await QueryAsync(database,
            "SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_catalog = current_database() ORDER BY table_schema, table_name",
            reader => new TableMember { Schema = reader.GetString(0), Name = reader.GetString(1), Type = reader.GetString(2) == "BASE TABLE" ? "TABLE" : reader.GetString(2) },
            cancellationToken).ConfigureAwait(false);
        return tables.Where(t => LikePattern.Matches(schemaPattern, t.Schema) && LikePattern.Matches(tablePattern, t.Name)).ToList();
    }

    public async Task<IReadOnlyList<ColumnMetadata>> DescribeTableAsync(string database, string? schema, string? table, CancellationToken cancellationToken)
    {
        var columns = await QueryAsync(database,
            "SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default, character_maximum_length, numeric_precision, numeric_scale " +
            "FROM information_schema.columns WHERE table_catalog = current_database() ORDER BY table_schema, table_name, ordinal_position",
            reader =>
            {
                var column = DuckDbColumn.FromDuckDbType(reader.GetString(3),
                    reader.IsDBNull(7) ? 0 : Convert.ToInt32(reader.GetValue(7), System.Globalization.CultureInfo.InvariantCulture),
                    reader.IsDBNull(8) ? 0 : Convert.ToInt32(reader.GetValue(8), System.Globalization.CultureInfo.InvariantCulture));
                var metadata = column.ToMetadata(reader.GetString(2));
                metadata.SchemaName = reader.GetString(0);
                metadata.TableName = reader.GetString(1);
                metadata.Nullable = reader.GetString(4) == "YES" ? 1 : 0;
                metadata.ColumnDefault = reader.IsDBNull(5) ? "" : reader.GetString(5);
                metadata.Length = reader.IsDBNull(6) ? 0 : Convert.ToInt32(reader.GetValue(6), System.Globalization.CultureInfo.InvariantCulture);
                if (column.RedshiftType == "varchar")
                {
                    // Redshift's default VARCHAR length; DuckDB's VARCHAR has none.
                    metadata.Length = metadata.Length > 0 ? metadata.Length : 256;
                }
                return metadata;
            }, cancellationToken).ConfigureAwait(false);
        return columns.Where(c => (string.IsNullOrEmpty(schema) || c.SchemaName == schema) && (string.IsNullOrEmpty(table) || c.TableName == table)).ToList();
    }

    private async Task<List<T>> QueryAsync<T>(string database, string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(database, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var result = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(read(reader));
        }
        return result;
    }

    private static void InterruptQuietly(DuckDBConnection connection)
    {
        try
        {
            using var command = connection.CreateCommand();
            command.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The statement ended and its connection closed first.
        }
    }

    // Leading blanks and -- or /* */ comments, then the statement's verb.
    [GeneratedRegex(@"^(\s|--[^\n]*\n|/\*.*?\*/)*(INSERT|UPDATE|DELETE|MERGE)\b", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex RowChange();

    [GeneratedRegex(@"\bRETURNING\b", RegexOptions.IgnoreCase)]
    private static partial Regex Returning();

    [GeneratedRegex("^[A-Za-z0-9_]{1,127}$")]
    private static partial Regex DatabaseName();
}
