using System.Data.Common;
using Sluice.Query.V1;

namespace Sluice.Query.Engines;

/// <summary>
/// One SQL engine behind the statement manager: opens connections to a named database, builds
/// commands with bound parameters, converts values to Data API fields, and introspects schemas.
/// </summary>
public interface ISqlEngine
{
    /// <summary>Opens a connection to <paramref name="database"/>; unknown databases are a ValidationException.</summary>
    Task<DbConnection> OpenAsync(string database, CancellationToken cancellationToken);

    /// <summary>A command for <paramref name="sql"/> with its <c>:name</c> parameters bound.</summary>
    DbCommand CreateCommand(DbConnection connection, string sql, IReadOnlyList<SqlParameter> parameters);

    /// <summary>Makes cancellation of <paramref name="cancellationToken"/> interrupt the command running on <paramref name="connection"/>.</summary>
    IDisposable InterruptOnCancel(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>The Data API column metadata of the reader's result.</summary>
    IReadOnlyList<ColumnMetadata> DescribeColumns(DbDataReader reader);

    /// <summary>Converts column <paramref name="ordinal"/> of the current row to a Data API field.</summary>
    Field ReadField(DbDataReader reader, int ordinal);

    Task<IReadOnlyList<string>> ListDatabasesAsync(string database, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> ListSchemasAsync(string database, string? schemaPattern, CancellationToken cancellationToken);

    Task<IReadOnlyList<TableMember>> ListTablesAsync(string database, string? schemaPattern, string? tablePattern, CancellationToken cancellationToken);

    /// <summary>The columns of a table; empty when the table does not exist.</summary>
    Task<IReadOnlyList<ColumnMetadata>> DescribeTableAsync(string database, string? schema, string table, CancellationToken cancellationToken);
}
