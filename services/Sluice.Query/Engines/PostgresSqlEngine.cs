using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.Engines;

/// <summary>PostgreSQL through Npgsql; a request's Database replaces the configured connection's database.</summary>
public sealed class PostgresSqlEngine(string connectionString) : IConnectionSqlEngine
{
    public async Task<DbConnection> OpenAsync(string database, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Database = database, CommandTimeout = 0 };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A connection to the configured database opens: no request has named a database to use here.</summary>
    public async Task CheckReachableAsync(CancellationToken cancellationToken)
    {
        var configured = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var connection = await OpenAsync(string.IsNullOrEmpty(configured) ? "postgres" : configured, cancellationToken).ConfigureAwait(false);
    }

    public DbCommand CreateCommand(DbConnection connection, string sql, IReadOnlyList<SqlParameter> parameters)
    {
        var command = ((NpgsqlConnection)connection).CreateCommand();
        command.CommandTimeout = 0; // The statement manager bounds statement time.
        if (parameters.Count == 0)
        {
            command.CommandText = sql;
            return command;
        }
        // Rewritten to $1, $2 ... by Sluice's own scanner rather than Npgsql's legacy rewriting,
        // so the same rules decide what a parameter is on every engine.
        var references = SqlParameterScanner.Scan(sql);
        var order = parameters.Select(p => p.Name).ToList();
        command.CommandText = SqlParameterScanner.ToPositional(sql, references, order, position => "$" + position);
        foreach (var parameter in parameters)
        {
            // Unknown type: the server infers it from the statement, as for an untyped literal.
            command.Parameters.Add(new NpgsqlParameter { Value = parameter.Value, NpgsqlDbType = NpgsqlDbType.Unknown });
        }
        return command;
    }

    public IDisposable InterruptOnCancel(DbConnection connection, CancellationToken cancellationToken) =>
        // Npgsql sends a PostgreSQL cancel request itself when the token passed to the command fires.
        cancellationToken.Register(static () => { });

    public IReadOnlyList<ColumnMetadata> DescribeColumns(DbDataReader reader)
    {
        var schema = reader.GetColumnSchema();
        var columns = new ColumnMetadata[schema.Count];
        for (var i = 0; i < columns.Length; i++)
        {
            var column = schema[i];
            var typeName = column.DataTypeName ?? reader.GetDataTypeName(i);
            columns[i] = new ColumnMetadata
            {
                Name = column.ColumnName,
                Label = column.ColumnName,
                TypeName = typeName,
                SchemaName = column.BaseSchemaName ?? "",
                TableName = column.BaseTableName ?? "",
                Nullable = column.AllowDBNull switch { true => 1, false => 0, null => 2 },
                Precision = column.NumericPrecision ?? 0,
                Scale = column.NumericScale ?? 0,
                Length = column.ColumnSize is > 0 and < int.MaxValue ? column.ColumnSize.Value : 0,
                IsSigned = IsSigned(column.DataType),
                IsCaseSensitive = column.DataType == typeof(string),
                IsCurrency = typeName == "money",
            };
        }
        return columns;
    }

    public Field ReadField(DbDataReader reader, int ordinal) => FieldValues.From(reader.GetValue(ordinal));

    /// <summary>Each column through its typed getter where <see cref="FieldValues"/> has a direct encoding of the type.</summary>
    public Action<ResultRecordEncoder> CreateRecordWriter(DbDataReader reader)
    {
        var writers = new Action<DbDataReader, int, ResultRecordEncoder>[reader.FieldCount];
        for (var i = 0; i < writers.Length; i++)
        {
            writers[i] = FieldValues.WriterFor(reader.GetFieldType(i));
        }
        return record =>
        {
            for (var i = 0; i < writers.Length; i++)
            {
                if (reader.IsDBNull(i))
                {
                    record.WriteNull();
                }
                else
                {
                    writers[i](reader, i, record);
                }
            }
        };
    }

    public async Task<IReadOnlyList<string>> ListDatabasesAsync(string database, CancellationToken cancellationToken) =>
        await QueryStringsAsync(database, "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY datname", [], cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<string>> ListSchemasAsync(string database, string? schemaPattern, CancellationToken cancellationToken) =>
        await QueryStringsAsync(database, "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 ORDER BY nspname", [Pattern(schemaPattern)], cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<TableMember>> ListTablesAsync(string database, string? schemaPattern, string? tablePattern, CancellationToken cancellationToken)
    {
        await using var connection = (NpgsqlConnection)await OpenAsync(database, cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT table_schema, table_name, table_type FROM information_schema.tables " +
            "WHERE table_schema LIKE $1 AND table_name LIKE $2 ORDER BY table_schema, table_name", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Pattern(schemaPattern) });
        command.Parameters.Add(new NpgsqlParameter { Value = Pattern(tablePattern) });
        var tables = new List<TableMember>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var type = reader.GetString(2) == "BASE TABLE" ? "TABLE" : reader.GetString(2);
            tables.Add(new TableMember { Schema = reader.GetString(0), Name = reader.GetString(1), Type = type });
        }
        return tables;
    }

    public async Task<IReadOnlyList<ColumnMetadata>> DescribeTableAsync(string database, string? schema, string? table, CancellationToken cancellationToken)
    {
        await using var connection = (NpgsqlConnection)await OpenAsync(database, cancellationToken).ConfigureAwait(false);
        // A missing schema or table matches every one, as the Data API's DescribeTable.
        await using var command = new NpgsqlCommand(
            "SELECT column_name, data_type, is_nullable, column_default, character_maximum_length, numeric_precision, numeric_scale, table_schema, table_name " +
            "FROM information_schema.columns WHERE ($1::text IS NULL OR table_schema = $1) AND ($2::text IS NULL OR table_name = $2) " +
            "ORDER BY table_schema, table_name, ordinal_position", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = string.IsNullOrEmpty(schema) ? DBNull.Value : schema, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = string.IsNullOrEmpty(table) ? DBNull.Value : table, NpgsqlDbType = NpgsqlDbType.Text });
        var columns = new List<ColumnMetadata>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var typeName = reader.GetString(1);
            columns.Add(new ColumnMetadata
            {
                Name = reader.GetString(0),
                Label = reader.GetString(0),
                TypeName = typeName,
                Nullable = reader.GetString(2) == "YES" ? 1 : 0,
                ColumnDefault = reader.IsDBNull(3) ? "" : reader.GetString(3),
                Length = reader.IsDBNull(4) ? 0 : reader.GetInt32(4),
                Precision = reader.IsDBNull(5) ? 0 : reader.GetInt32(5),
                Scale = reader.IsDBNull(6) ? 0 : reader.GetInt32(6),
                SchemaName = reader.GetString(7),
                TableName = reader.GetString(8),
                IsCaseSensitive = typeName.Contains("char", StringComparison.Ordinal) || typeName == "text",
                IsSigned = !reader.IsDBNull(5),
            });
        }
        return columns;
    }

    private async Task<List<string>> QueryStringsAsync(string database, string sql, object[] values, CancellationToken cancellationToken)
    {
        await using var connection = (NpgsqlConnection)await OpenAsync(database, cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        var result = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(reader.GetString(0));
        }
        return result;
    }

    private static string Pattern(string? pattern) => string.IsNullOrEmpty(pattern) ? "%" : pattern;

    private static bool IsSigned(Type? type) =>
        type == typeof(short) || type == typeof(int) || type == typeof(long) || type == typeof(decimal) || type == typeof(double) || type == typeof(float);
}
