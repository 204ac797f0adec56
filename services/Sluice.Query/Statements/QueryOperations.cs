using System.Data.Common;
using System.Globalization;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Sluice.Query.Engines;
using Sluice.Query.V1;

namespace Sluice.Query.Statements;

/// <summary>
/// Every Data API operation on the contract's messages, independent of transport: the gRPC
/// service and the Data API JSON endpoint both call this and only map errors differently.
/// </summary>
public sealed class QueryOperations(StatementManager manager, ISqlEngine engine)
{
    private const int MaxMetadataPage = 1000;

    public StatementManager Statements => manager;

    public async Task<ExecuteStatementResponse> ExecuteStatementAsync(ExecuteStatementRequest request, string caller)
    {
        StatementSessions.RefuseLocationWithSession(request.SessionId, ("Database", request.Database), ("ClusterIdentifier", request.ClusterIdentifier),
            ("WorkgroupName", request.WorkgroupName), ("DbUser", request.DbUser), ("SecretArn", request.SecretArn));
        var location = new StatementLocation(NullIfEmpty(request.ClusterIdentifier), NullIfEmpty(request.DbUser), NullIfEmpty(request.SecretArn), NullIfEmpty(request.WorkgroupName));
        var statement = await manager.SubmitAsync(new StatementSubmission(caller, SessionDatabaseOf(request.SessionId, request.Database), string.IsNullOrEmpty(request.Sql) ? [] : [request.Sql], IsBatch: false,
            request.Parameters, NullIfEmpty(request.StatementName), request.WithEvent, NullIfEmpty(request.ClientToken), location,
            ResultFormat: ResultFormats.Parse(request.ResultFormat), SessionId: NullIfEmpty(request.SessionId), SessionKeepAliveSeconds: request.SessionKeepAliveSeconds)).ConfigureAwait(false);
        var submission = statement.Submission;
        return new ExecuteStatementResponse
        {
            Id = statement.Id,
            CreatedAt = Timestamp.FromDateTimeOffset(statement.CreatedAt),
            Database = submission.Database,
            ClusterIdentifier = submission.Location?.ClusterIdentifier ?? "",
            DbUser = submission.Location?.DbUser ?? "",
            SecretArn = submission.Location?.SecretArn ?? "",
            WorkgroupName = submission.Location?.WorkgroupName ?? "",
            SessionId = submission.SessionId ?? "",
        };
    }

    public async Task<BatchExecuteStatementResponse> BatchExecuteStatementAsync(BatchExecuteStatementRequest request, string caller)
    {
        StatementSessions.RefuseLocationWithSession(request.SessionId, ("Database", request.Database), ("ClusterIdentifier", request.ClusterIdentifier),
            ("WorkgroupName", request.WorkgroupName), ("DbUser", request.DbUser), ("SecretArn", request.SecretArn));
        var location = new StatementLocation(NullIfEmpty(request.ClusterIdentifier), NullIfEmpty(request.DbUser), NullIfEmpty(request.SecretArn), NullIfEmpty(request.WorkgroupName));
        var statement = await manager.SubmitAsync(new StatementSubmission(caller, SessionDatabaseOf(request.SessionId, request.Database), request.Sqls, IsBatch: true, [],
            NullIfEmpty(request.StatementName), request.WithEvent, NullIfEmpty(request.ClientToken), location, ResultFormat: ResultFormats.Parse(request.ResultFormat),
            SessionId: NullIfEmpty(request.SessionId), SessionKeepAliveSeconds: request.SessionKeepAliveSeconds)).ConfigureAwait(false);
        var submission = statement.Submission;
        return new BatchExecuteStatementResponse
        {
            Id = statement.Id,
            CreatedAt = Timestamp.FromDateTimeOffset(statement.CreatedAt),
            Database = submission.Database,
            ClusterIdentifier = submission.Location?.ClusterIdentifier ?? "",
            DbUser = submission.Location?.DbUser ?? "",
            SecretArn = submission.Location?.SecretArn ?? "",
            WorkgroupName = submission.Location?.WorkgroupName ?? "",
            SessionId = submission.SessionId ?? "",
        };
    }

    /// <summary>The statement as the replica running it last recorded it (held here: live).</summary>
    public async Task<DescribeStatementResponse> DescribeStatementAsync(DescribeStatementRequest request, CancellationToken cancellationToken) =>
        Describe(await manager.FindAsync(request.Id, cancellationToken).ConfigureAwait(false), request.Id, out _);

    /// <summary>A snapshot of <paramref name="statement"/> (or of its sub-statement <paramref name="id"/>) and the version it reflects.</summary>
    public static DescribeStatementResponse Describe(Statement statement, string id, out long version)
    {
        var submission = statement.Submission;
        lock (statement.Sync)
        {
            version = statement.Version;
            var part = statement.Parts.FirstOrDefault(p => p.Id == id);
            var response = new DescribeStatementResponse
            {
                Database = submission.Database,
                StatementName = submission.StatementName ?? "",
                ClusterIdentifier = submission.Location?.ClusterIdentifier ?? "",
                DbUser = submission.Location?.DbUser ?? "",
                SecretArn = submission.Location?.SecretArn ?? "",
                WorkgroupName = submission.Location?.WorkgroupName ?? "",
                QueryParameters = { submission.Parameters },
                ResultFormat = submission.ResultFormat,
                SessionId = submission.SessionId ?? "",
                // Embedded engines run in this process; a remote warehouse's pid is not reported.
                RedshiftPid = statement.RemoteId is null && statement.Parts[0].QueryId != 0 ? Environment.ProcessId : 0,
            };
            if (part is not null && (submission.IsBatch || part.Id == statement.Id))
            {
                var isSubStatement = submission.IsBatch;
                response.Id = part.Id;
                response.Status = isSubStatement ? part.Status : statement.Status;
                response.CreatedAt = Timestamp.FromDateTimeOffset(part.CreatedAt);
                response.UpdatedAt = Timestamp.FromDateTimeOffset(isSubStatement ? part.UpdatedAt : statement.UpdatedAt);
                response.Duration = isSubStatement ? part.DurationNanoseconds : statement.DurationNanoseconds;
                response.Error = (isSubStatement ? part.Error : statement.Error) ?? "";
                response.HasResultSet = part.HasResultSet;
                response.QueryString = part.Sql;
                response.ResultRows = part.ResultRows;
                response.ResultSize = part.Result?.SizeBytes ?? (part.Status == StatementStatus.Finished ? 0 : -1);
                response.RedshiftQueryId = part.QueryId;
                return response;
            }
            response.Id = statement.Id;
            response.Status = statement.Status;
            response.CreatedAt = Timestamp.FromDateTimeOffset(statement.CreatedAt);
            response.UpdatedAt = Timestamp.FromDateTimeOffset(statement.UpdatedAt);
            response.Duration = statement.DurationNanoseconds;
            response.Error = statement.Error ?? "";
            response.HasResultSet = statement.Parts.Any(p => p.HasResultSet);
            response.QueryString = string.Join(";\n", submission.Sqls);
            response.ResultRows = statement.Parts.Sum(p => Math.Max(0, p.ResultRows));
            response.ResultSize = statement.Parts.Sum(p => p.Result?.SizeBytes ?? 0);
            foreach (var sub in statement.Parts)
            {
                response.SubStatements.Add(new SubStatementData
                {
                    Id = sub.Id,
                    Status = sub.Status,
                    CreatedAt = Timestamp.FromDateTimeOffset(sub.CreatedAt),
                    UpdatedAt = Timestamp.FromDateTimeOffset(sub.UpdatedAt),
                    Duration = sub.DurationNanoseconds,
                    Error = sub.Error ?? "",
                    HasResultSet = sub.HasResultSet,
                    QueryString = sub.Sql,
                    ResultRows = sub.ResultRows,
                    ResultSize = sub.Result?.SizeBytes ?? (sub.Status == StatementStatus.Finished ? 0 : -1),
                    RedshiftQueryId = sub.QueryId,
                });
            }
            return response;
        }
    }

    public async Task<GetStatementResultResponse> GetStatementResultAsync(GetStatementResultRequest request, CancellationToken cancellationToken)
    {
        await RequireResultFormatAsync(request.Id, ResultFormats.Json, cancellationToken).ConfigureAwait(false);
        var page = await manager.GetResultPageAsync(request.Id, NullIfEmpty(request.NextToken), cancellationToken).ConfigureAwait(false);
        return new GetStatementResultResponse
        {
            ColumnMetadata = { page.Columns },
            Records = { page.Records },
            TotalNumRows = page.TotalRows,
            NextToken = page.NextToken ?? "",
        };
    }

    /// <summary>A page of a CSV statement's result as CSV text, the first page headed by the column names.</summary>
    public async Task<GetStatementResultV2Response> GetStatementResultV2Async(GetStatementResultV2Request request, CancellationToken cancellationToken)
    {
        await RequireResultFormatAsync(request.Id, ResultFormats.Csv, cancellationToken).ConfigureAwait(false);
        var page = await manager.GetResultPageAsync(request.Id, NullIfEmpty(request.NextToken), cancellationToken).ConfigureAwait(false);
        var response = new GetStatementResultV2Response
        {
            ColumnMetadata = { page.Columns },
            TotalNumRows = page.TotalRows,
            ResultFormat = ResultFormats.Csv,
            NextToken = page.NextToken ?? "",
        };
        var text = CsvRecords.Format(page.Columns, page.Records, withHeader: string.IsNullOrEmpty(request.NextToken));
        if (text.Length > 0)
        {
            response.Records.Add(new QueryRecords { CsvRecords = text });
        }
        return response;
    }

    /// <summary>Refuses to read the result of statement <paramref name="id"/> in a format other than the one it was run with.</summary>
    /// <exception cref="QueryException">ResourceNotFoundException (unknown id) or ValidationException.</exception>
    public async Task RequireResultFormatAsync(string id, string format, CancellationToken cancellationToken)
    {
        var actual = (await manager.FindAsync(id, cancellationToken).ConfigureAwait(false)).Submission.ResultFormat;
        if (actual != format)
        {
            var reader = actual == ResultFormats.Csv ? "GetStatementResultV2" : "GetStatementResult";
            throw QueryException.Validation("Id", $"Query result format is {actual}: statement '{id}' was run with ResultFormat {actual}, so read its result with {reader}.");
        }
    }

    /// <summary>Cancels the statement on whichever replica runs it.</summary>
    public async Task<CancelStatementResponse> CancelStatementAsync(CancelStatementRequest request, CancellationToken cancellationToken) =>
        new() { Status = await manager.CancelAnywhereAsync(request.Id, cancellationToken).ConfigureAwait(false) };

    /// <summary>Statements of every replica sharing the statement store.</summary>
    public async Task<ListStatementsResponse> ListStatementsAsync(ListStatementsRequest request, string caller, CancellationToken cancellationToken)
    {
        var page = await manager.ListAsync(caller, request.RoleLevel, request.Status, NullIfEmpty(request.StatementName), request.MaxResults, NullIfEmpty(request.NextToken),
            cancellationToken).ConfigureAwait(false);
        var response = new ListStatementsResponse { NextToken = page.NextToken ?? "" };
        foreach (var statement in page.Statements)
        {
            var submission = statement.Submission;
            lock (statement.Sync)
            {
                var data = new StatementData
                {
                    Id = statement.Id,
                    Status = statement.Status,
                    CreatedAt = Timestamp.FromDateTimeOffset(statement.CreatedAt),
                    UpdatedAt = Timestamp.FromDateTimeOffset(statement.UpdatedAt),
                    IsBatchStatement = submission.IsBatch,
                    StatementName = submission.StatementName ?? "",
                    SecretArn = submission.Location?.SecretArn ?? "",
                    QueryParameters = { submission.Parameters },
                    ResultFormat = submission.ResultFormat,
                    SessionId = submission.SessionId ?? "",
                };
                if (submission.IsBatch)
                {
                    data.QueryStrings.Add(submission.Sqls);
                }
                else
                {
                    data.QueryString = submission.Sqls[0];
                }
                response.Statements.Add(data);
            }
        }
        return response;
    }

    public async Task<ListDatabasesResponse> ListDatabasesAsync(ListDatabasesRequest request, CancellationToken cancellationToken)
    {
        var database = RequireDatabase(request.Database);
        var all = await Introspect(() => engine.ListDatabasesAsync(database, cancellationToken)).ConfigureAwait(false);
        var (items, next) = Page(all, request.MaxResults, request.NextToken);
        return new ListDatabasesResponse { Databases = { items }, NextToken = next };
    }

    public async Task<ListSchemasResponse> ListSchemasAsync(ListSchemasRequest request, CancellationToken cancellationToken)
    {
        var database = RequireDatabase(request.Database);
        var all = await Introspect(() => engine.ListSchemasAsync(database, NullIfEmpty(request.SchemaPattern), cancellationToken)).ConfigureAwait(false);
        var (items, next) = Page(all, request.MaxResults, request.NextToken);
        return new ListSchemasResponse { Schemas = { items }, NextToken = next };
    }

    public async Task<ListTablesResponse> ListTablesAsync(ListTablesRequest request, CancellationToken cancellationToken)
    {
        var database = RequireDatabase(request.Database);
        var all = await Introspect(() => engine.ListTablesAsync(database, NullIfEmpty(request.SchemaPattern), NullIfEmpty(request.TablePattern), cancellationToken)).ConfigureAwait(false);
        var (items, next) = Page(all, request.MaxResults, request.NextToken);
        return new ListTablesResponse { Tables = { items }, NextToken = next };
    }

    public async Task<DescribeTableResponse> DescribeTableAsync(DescribeTableRequest request, CancellationToken cancellationToken)
    {
        var database = RequireDatabase(request.Database);
        // Without Table, the columns of every table of the schema (of every schema without Schema),
        // each naming its table, as the Data API's DescribeTable.
        var all = await Introspect(() => engine.DescribeTableAsync(database, NullIfEmpty(request.Schema), NullIfEmpty(request.Table), cancellationToken)).ConfigureAwait(false);
        var (items, next) = Page(all, request.MaxResults, request.NextToken);
        return new DescribeTableResponse { TableName = request.Table, ColumnList = { items }, NextToken = next };
    }

    private static async Task<IReadOnlyList<T>> Introspect<T>(Func<Task<IReadOnlyList<T>>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (DbException exception)
        {
            throw new QueryException(QueryErrorType.DatabaseConnectionException, "The database refused the request: " + exception.Message);
        }
    }

    private static (IEnumerable<T> Items, string NextToken) Page<T>(IReadOnlyList<T> all, int maxResults, string nextToken)
    {
        if (maxResults is < 0 or > MaxMetadataPage)
        {
            throw QueryException.Validation("MaxResults", $"MaxResults must be between 0 and {MaxMetadataPage}.");
        }
        var size = maxResults == 0 ? MaxMetadataPage : maxResults;
        var offset = 0;
        if (!string.IsNullOrEmpty(nextToken))
        {
            string text;
            try
            {
                text = Encoding.UTF8.GetString(Convert.FromBase64String(nextToken));
            }
            catch (FormatException)
            {
                text = "";
            }
            if (!text.StartsWith("o:", StringComparison.Ordinal) || !int.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset > all.Count)
            {
                throw QueryException.Validation("NextToken", "NextToken is invalid.");
            }
        }
        var end = Math.Min(all.Count, offset + size);
        var next = end < all.Count ? Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"o:{end}"))) : "";
        return (all.Skip(offset).Take(size), next);
    }

    private string RequireDatabase(string database)
    {
        var resolved = DatabaseOf(database);
        if (string.IsNullOrEmpty(resolved))
        {
            throw QueryException.Validation("Database", "Database is required.");
        }
        return resolved;
    }

    /// <summary>None for a statement in a session (it runs on the session's), else <see cref="DatabaseOf"/>.</summary>
    private string SessionDatabaseOf(string sessionId, string database) => sessionId.Length > 0 ? "" : DatabaseOf(database);

    /// <summary>The request's database, or the engine's default when it names none.</summary>
    private string DatabaseOf(string database) => string.IsNullOrEmpty(database) ? engine.DefaultDatabase ?? "" : database;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
