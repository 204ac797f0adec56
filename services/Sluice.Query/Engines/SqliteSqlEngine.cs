using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.Engines;

/// <summary>
/// The embedded engine: each database is a SQLite file <c>{DataDirectory}/sqlite/{name}.db</c>
/// with one schema, <c>main</c>.
/// </summary>
public sealed partial class SqliteSqlEngine : IConnectionSqlEngine
{
    private const string MainSchema = "main";

    /// <inheritdoc />
    public bool BlocksCallingThread => true;

    private readonly string _directory;

    public SqliteSqlEngine(string directory)
    {
        SQLitePCL.Batteries_V2.Init();
        _directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(_directory);
    }

    /// <summary>The file of <paramref name="database"/>, after checking that the name is a plain identifier.</summary>
    public string DatabasePath(string database)
    {
        if (!DatabaseName().IsMatch(database))
        {
            throw QueryException.Validation("Database", $"Database name '{database}' is invalid: use letters, digits and underscores only.");
        }
        return Path.Combine(_directory, database + ".db");
    }

    /// <summary>Creates the database file if it does not exist yet.</summary>
    public SqliteConnection OpenOrCreate(string database)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath(database), Mode = SqliteOpenMode.ReadWriteCreate }.ToString());
        connection.Open();
        return connection;
    }

    public async Task<DbConnection> OpenAsync(string database, CancellationToken cancellationToken)
    {
        var path = DatabasePath(database);
        if (!File.Exists(path))
        {
            throw QueryException.Validation("Database", $"Database '{database}' does not exist.");
        }
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public DbCommand CreateCommand(DbConnection connection, string sql, IReadOnlyList<SqlParameter> parameters)
    {
        var command = ((SqliteConnection)connection).CreateCommand();
        command.CommandText = sql;
        // Only SQLITE_BUSY retries use this; statement time is bounded by the statement manager.
        command.CommandTimeout = 30;
        foreach (var parameter in parameters)
        {
            // SQLite understands :name itself; the value keeps its text form, and column affinity
            // converts it where the statement compares it with a numeric column.
            command.Parameters.AddWithValue(":" + parameter.Name, parameter.Value);
        }
        return command;
    }

    public IDisposable InterruptOnCancel(DbConnection connection, CancellationToken cancellationToken)
    {
        // Microsoft.Data.Sqlite checks the token only between rows; sqlite3_interrupt stops a
        // statement inside one long step too (a recursive CTE, a big sort).
        var handle = ((SqliteConnection)connection).Handle;
        return cancellationToken.Register(() => SQLitePCL.raw.sqlite3_interrupt(handle));
    }

    public IReadOnlyList<ColumnMetadata> DescribeColumns(DbDataReader reader)
    {
        var columns = new ColumnMetadata[reader.FieldCount];
        for (var i = 0; i < columns.Length; i++)
        {
            var typeName = reader.GetDataTypeName(i);
            columns[i] = new ColumnMetadata
            {
                Name = reader.GetName(i),
                Label = reader.GetName(i),
                TypeName = typeName,
                Nullable = 2,
                IsSigned = IsNumeric(typeName),
                IsCaseSensitive = !IsNumeric(typeName),
            };
        }
        return columns;
    }

    public Field ReadField(DbDataReader reader, int ordinal) => FieldValues.From(reader.GetValue(ordinal));

    public Task<IReadOnlyList<string>> ListDatabasesAsync(string database, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> names = Directory.EnumerateFiles(_directory, "*.db")
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(names);
    }

    public Task<IReadOnlyList<string>> ListSchemasAsync(string database, string? schemaPattern, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> schemas = LikePattern.Matches(schemaPattern, MainSchema) ? [MainSchema] : [];
        return Task.FromResult(schemas);
    }

    public async Task<IReadOnlyList<TableMember>> ListTablesAsync(string database, string? schemaPattern, string? tablePattern, CancellationToken cancellationToken)
    {
        if (!LikePattern.Matches(schemaPattern, MainSchema))
        {
            return [];
        }
        await using var connection = await OpenAsync(database, cancellationToken).ConfigureAwait(false);
        await using var command = (SqliteCommand)connection.CreateCommand();
        command.CommandText = "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
        var tables = new List<TableMember>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var name = reader.GetString(0);
            if (LikePattern.Matches(tablePattern, name))
            {
                tables.Add(new TableMember { Name = name, Schema = MainSchema, Type = reader.GetString(1).ToUpperInvariant() });
            }
        }
        return tables;
    }

    public async Task<IReadOnlyList<ColumnMetadata>> DescribeTableAsync(string database, string? schema, string? table, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(schema) && schema != MainSchema)
        {
            return [];
        }
        await using var connection = await OpenAsync(database, cancellationToken).ConfigureAwait(false);
        await using var command = (SqliteCommand)connection.CreateCommand();
        // One query for one table or for all of them: pragma_table_info joined to the catalog.
        command.CommandText = "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p " +
            "WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND (:table IS NULL OR m.name = :table) ORDER BY m.name, p.cid";
        command.Parameters.AddWithValue(":table", (object?)table ?? DBNull.Value);
        var columns = new List<ColumnMetadata>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var typeName = reader.GetString(2);
            columns.Add(new ColumnMetadata
            {
                Name = reader.GetString(1),
                Label = reader.GetString(1),
                TypeName = typeName,
                Nullable = reader.GetInt64(3) == 0 ? 1 : 0,
                ColumnDefault = reader.IsDBNull(4) ? "" : reader.GetString(4),
                SchemaName = MainSchema,
                TableName = reader.GetString(0),
                IsSigned = IsNumeric(typeName),
                IsCaseSensitive = !IsNumeric(typeName),
            });
        }
        return columns;
    }

    private static bool IsNumeric(string typeName) =>
        typeName.Contains("INT", StringComparison.OrdinalIgnoreCase) || typeName.Contains("REAL", StringComparison.OrdinalIgnoreCase)
        || typeName.Contains("NUM", StringComparison.OrdinalIgnoreCase) || typeName.Contains("DEC", StringComparison.OrdinalIgnoreCase)
        || typeName.Contains("DOUB", StringComparison.OrdinalIgnoreCase) || typeName.Contains("FLOA", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("^[A-Za-z0-9_]{1,127}$")]
    private static partial Regex DatabaseName();
}
