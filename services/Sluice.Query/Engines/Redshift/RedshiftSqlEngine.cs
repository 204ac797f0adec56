using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.Engines.Redshift;

/// <summary>
/// Amazon Redshift through the Redshift Data API (or any endpoint speaking it, such as another
/// Sluice). Every call goes to the configured cluster or workgroup with the configured secret or
/// database user (see <see cref="RedshiftOptions"/>); results are copied into Sluice's result
/// store once a statement has finished.
/// </summary>
public sealed class RedshiftSqlEngine : IRemoteSqlEngine, IDisposable
{
    // Catalog listings are followed page by page; this bounds a misbehaving remote's NextToken loop.
    private const int MaxCatalogPages = 10_000;

    private readonly RedshiftOptions _options;
    private readonly RedshiftDataClient _client;

    public RedshiftSqlEngine(RedshiftOptions options, HttpMessageHandler? handler = null)
    {
        if (string.IsNullOrEmpty(options.ClusterIdentifier) == string.IsNullOrEmpty(options.WorkgroupName))
        {
            throw new InvalidOperationException(
                "Sluice:Query:Engine is Redshift: set exactly one of Sluice:Query:Redshift:ClusterIdentifier (provisioned) and Sluice:Query:Redshift:WorkgroupName (serverless).");
        }
        _options = options;
        _client = new RedshiftDataClient(options, handler);
    }

    /// <summary>The Data API endpoint calls go to.</summary>
    public Uri Endpoint => _client.Endpoint;

    public string? DefaultDatabase => _options.Database;

    public async Task<RemoteSubmission> SubmitAsync(string statementId, StatementSubmission submission, string? remoteSessionId, CancellationToken cancellationToken)
    {
        // Sluice publishes its own completion event, so WithEvent is not passed on (no EventBridge
        // event from the warehouse); Sluice's statement id is the ClientToken, so a retried
        // submission cannot start the statement twice. A statement in a remote session names only
        // the session: the Data API refuses the database and target beside it.
        var keepAlive = submission.SessionKeepAliveSeconds;
        if (submission.IsBatch)
        {
            var batch = new BatchExecuteStatementRequest
            {
                Sqls = { submission.Sqls },
                StatementName = submission.StatementName ?? "",
                ClientToken = statementId,
                SessionKeepAliveSeconds = keepAlive,
                SessionId = remoteSessionId ?? "",
            };
            if (remoteSessionId is null)
            {
                batch.Database = submission.Database;
                Locate(batch);
            }
            var accepted = await _client.CallAsync<BatchExecuteStatementResponse>("BatchExecuteStatement", batch, cancellationToken).ConfigureAwait(false);
            return new RemoteSubmission(accepted.Id, NullIfEmpty(accepted.SessionId));
        }
        var request = new ExecuteStatementRequest
        {
            Sql = submission.Sqls[0],
            Parameters = { submission.Parameters },
            StatementName = submission.StatementName ?? "",
            ClientToken = statementId,
            SessionKeepAliveSeconds = keepAlive,
            SessionId = remoteSessionId ?? "",
        };
        if (remoteSessionId is null)
        {
            request.Database = submission.Database;
            Locate(request);
        }
        var response = await _client.CallAsync<ExecuteStatementResponse>("ExecuteStatement", request, cancellationToken).ConfigureAwait(false);
        return new RemoteSubmission(response.Id, NullIfEmpty(response.SessionId));
    }

    public Task<DescribeStatementResponse> DescribeAsync(string remoteId, CancellationToken cancellationToken) =>
        _client.CallAsync<DescribeStatementResponse>("DescribeStatement", new DescribeStatementRequest { Id = remoteId }, cancellationToken);

    public Task<GetStatementResultResponse> GetResultPageAsync(string remoteId, string? nextToken, CancellationToken cancellationToken) =>
        _client.CallAsync<GetStatementResultResponse>("GetStatementResult", new GetStatementResultRequest { Id = remoteId, NextToken = nextToken ?? "" }, cancellationToken);

    public async Task<bool> CancelAsync(string remoteId, CancellationToken cancellationToken) =>
        (await _client.CallAsync<CancelStatementResponse>("CancelStatement", new CancelStatementRequest { Id = remoteId }, cancellationToken).ConfigureAwait(false)).Status;

    public Task<IReadOnlyList<string>> ListDatabasesAsync(string database, CancellationToken cancellationToken) =>
        CollectAsync<ListDatabasesResponse, string>("ListDatabases", token => Locate(new ListDatabasesRequest { Database = database, NextToken = token }),
            r => r.Databases, r => r.NextToken, cancellationToken);

    public Task<IReadOnlyList<string>> ListSchemasAsync(string database, string? schemaPattern, CancellationToken cancellationToken) =>
        CollectAsync<ListSchemasResponse, string>("ListSchemas", token => Locate(new ListSchemasRequest { Database = database, SchemaPattern = schemaPattern ?? "", NextToken = token }),
            r => r.Schemas, r => r.NextToken, cancellationToken);

    public Task<IReadOnlyList<TableMember>> ListTablesAsync(string database, string? schemaPattern, string? tablePattern, CancellationToken cancellationToken) =>
        CollectAsync<ListTablesResponse, TableMember>("ListTables",
            token => Locate(new ListTablesRequest { Database = database, SchemaPattern = schemaPattern ?? "", TablePattern = tablePattern ?? "", NextToken = token }),
            r => r.Tables, r => r.NextToken, cancellationToken);

    public Task<IReadOnlyList<ColumnMetadata>> DescribeTableAsync(string database, string? schema, string? table, CancellationToken cancellationToken) =>
        CollectAsync<DescribeTableResponse, ColumnMetadata>("DescribeTable",
            token => Locate(new DescribeTableRequest { Database = database, Schema = schema ?? "", Table = table ?? "", NextToken = token }),
            r => r.ColumnList, r => r.NextToken, cancellationToken);

    public void Dispose() => _client.Dispose();

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private async Task<IReadOnlyList<TItem>> CollectAsync<TResponse, TItem>(string operation, Func<string, Google.Protobuf.IMessage> request,
        Func<TResponse, IEnumerable<TItem>> items, Func<TResponse, string> nextToken, CancellationToken cancellationToken)
        where TResponse : Google.Protobuf.IMessage<TResponse>, new()
    {
        var all = new List<TItem>();
        var token = "";
        for (var page = 0; page < MaxCatalogPages; page++)
        {
            var response = await _client.CallAsync<TResponse>(operation, request(token), cancellationToken).ConfigureAwait(false);
            all.AddRange(items(response));
            token = nextToken(response);
            if (string.IsNullOrEmpty(token))
            {
                return all;
            }
        }
        throw new QueryException(QueryErrorType.InternalServerException, $"The Redshift Data API at {Endpoint} returned more than {MaxCatalogPages} pages for {operation}.");
    }

    /// <summary>Sets the configured target on a request: every request type names it with the same four fields.</summary>
    private T Locate<T>(T request)
        where T : Google.Protobuf.IMessage
    {
        foreach (var (name, value) in new[] { ("cluster_identifier", _options.ClusterIdentifier), ("workgroup_name", _options.WorkgroupName),
            ("secret_arn", _options.SecretArn), ("db_user", _options.DbUser) })
        {
            request.Descriptor.FindFieldByName(name).Accessor.SetValue(request, value ?? "");
        }
        return request;
    }
}
