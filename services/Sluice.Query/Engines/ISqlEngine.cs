using System.Data.Common;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.Engines;

/// <summary>
/// One SQL engine behind the statement manager: its catalog (databases, schemas, tables and
/// columns). How it runs statements is one of the two derived kinds,
/// <see cref="IConnectionSqlEngine"/> (Sluice holds the connection) or
/// <see cref="IRemoteSqlEngine"/> (a remote service runs and keeps the statement).
/// </summary>
public interface ISqlEngine
{
    /// <summary>The database a request that names none uses. Defaults to null: the request must name one.</summary>
    string? DefaultDatabase => null;

    Task<IReadOnlyList<string>> ListDatabasesAsync(string database, CancellationToken cancellationToken);

    /// <summary>
    /// Completes when the warehouse answers, throws when it cannot be reached (the health check).
    /// Defaults to a catalog call on <see cref="DefaultDatabase"/>.
    /// </summary>
    Task CheckReachableAsync(CancellationToken cancellationToken) => ListDatabasesAsync(DefaultDatabase ?? "dev", cancellationToken);

    Task<IReadOnlyList<string>> ListSchemasAsync(string database, string? schemaPattern, CancellationToken cancellationToken);

    Task<IReadOnlyList<TableMember>> ListTablesAsync(string database, string? schemaPattern, string? tablePattern, CancellationToken cancellationToken);

    /// <summary>
    /// The columns of <paramref name="table"/>, or, when it is null, of every table (in schema
    /// order, then table order); a null <paramref name="schema"/> means every schema, as the Data
    /// API's DescribeTable. Empty when nothing matches.
    /// </summary>
    Task<IReadOnlyList<ColumnMetadata>> DescribeTableAsync(string database, string? schema, string? table, CancellationToken cancellationToken);
}

/// <summary>
/// An engine reached through ADO.NET: opens connections to a named database, builds commands
/// with bound parameters, converts values to Data API fields.
/// </summary>
public interface IConnectionSqlEngine : ISqlEngine
{
    /// <summary>
    /// True when the driver's async calls complete synchronously, holding the calling thread while
    /// the engine works (DuckDB.NET). Such statements run on a thread of their own, so a long one
    /// does not take a thread-pool thread from gRPC and the bus for its whole run.
    /// </summary>
    bool BlocksCallingThread => false;

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

    /// <summary>
    /// What encodes the reader's current row into a result record, made once per result after
    /// <see cref="DescribeColumns"/>: the per-row work of a statement's result. The fields are those
    /// <see cref="ReadField"/> gives; an engine overrides this to write them without a field object each.
    /// </summary>
    Action<ResultRecordEncoder> CreateRecordWriter(DbDataReader reader)
    {
        var fieldCount = reader.FieldCount;
        return record =>
        {
            for (var i = 0; i < fieldCount; i++)
            {
                record.Write(ReadField(reader, i));
            }
        };
    }

    /// <summary>
    /// True when <paramref name="sql"/> changes rows and returns only their count, which this driver
    /// reports from ExecuteNonQuery but not from a reader (DuckDB.NET). Defaults to false: a reader's
    /// RecordsAffected serves.
    /// </summary>
    bool CountsOnlyThroughNonQuery(string sql) => false;

    /// <summary>The message a statement failed with, in an engine-neutral form. Defaults to the driver's message.</summary>
    string DescribeError(DbException exception) => exception.Message;
}

/// <summary>The remote service's ids of a submitted statement and of the session it runs in (null when none).</summary>
public sealed record RemoteSubmission(string Id, string? SessionId);

/// <summary>
/// An engine that runs statements itself and is asked about them later (the Redshift Data API):
/// Sluice submits, re-checks until the statement ends, then copies its result into the result
/// store, so reading a result never depends on the remote service again.
/// </summary>
public interface IRemoteSqlEngine : ISqlEngine
{
    /// <summary>
    /// Submits a statement (a batch as one remote batch) and returns the id the remote service
    /// gave it; <paramref name="statementId"/> (Sluice's id) makes a retried submission idempotent.
    /// With <paramref name="remoteSessionId"/> it runs in that remote session; otherwise a
    /// submission's SessionKeepAliveSeconds opens one, whose id the result carries.
    /// </summary>
    /// <exception cref="QueryException">The remote refused it, with its Data API error type.</exception>
    Task<RemoteSubmission> SubmitAsync(string statementId, StatementSubmission submission, string? remoteSessionId, CancellationToken cancellationToken);

    /// <summary>The remote statement's state; a batch's sub-statements are <c>{remoteId}:n</c>.</summary>
    Task<DescribeStatementResponse> DescribeAsync(string remoteId, CancellationToken cancellationToken);

    /// <summary>One page of a finished remote statement's (or sub-statement's) result.</summary>
    Task<GetStatementResultResponse> GetResultPageAsync(string remoteId, string? nextToken, CancellationToken cancellationToken);

    /// <summary>Cancels the remote statement; false when it had already ended.</summary>
    Task<bool> CancelAsync(string remoteId, CancellationToken cancellationToken);
}
