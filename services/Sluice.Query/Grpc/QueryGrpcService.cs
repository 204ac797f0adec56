using System.Buffers;
using Google.Protobuf;
using Sluice.Contracts;
using Sluice.Grpc;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.Grpc;

/// <summary>sluice.query.v1.QueryService over <see cref="QueryOperations"/>.</summary>
public sealed class QueryGrpcService(QueryOperations operations) : QueryService.QueryServiceBase
{
    /// <summary>Request header naming the caller, for per-caller limits and listing; defaults to "anonymous".</summary>
    public const string CallerHeader = "x-sluice-caller";

    public override Task<ExecuteStatementResponse> ExecuteStatement(ExecuteStatementRequest request, ServerCallContext context) =>
        Guard(() => Task.FromResult(operations.ExecuteStatement(request, Caller(context))));

    public override Task<BatchExecuteStatementResponse> BatchExecuteStatement(BatchExecuteStatementRequest request, ServerCallContext context) =>
        Guard(() => Task.FromResult(operations.BatchExecuteStatement(request, Caller(context))));

    public override Task<DescribeStatementResponse> DescribeStatement(DescribeStatementRequest request, ServerCallContext context) =>
        Guard(() => Task.FromResult(operations.DescribeStatement(request)));

    public override Task<GetStatementResultResponse> GetStatementResult(GetStatementResultRequest request, ServerCallContext context) =>
        Guard(async () =>
        {
            var (result, index, next) = operations.Statements.ResolvePage(request.Id, request.NextToken is { Length: > 0 } token ? token : null);
            // The rest of the page's fields; the records come from the result file as they are.
            var fields = new GetStatementResultResponse
            {
                ColumnMetadata = { result.Columns },
                TotalNumRows = result.TotalRows,
                NextToken = next ?? "",
            };
            if (result.BatchCount == 0)
            {
                return fields;
            }
            // A stored batch is a RecordBatch, whose field 1 is its records; field 1 of
            // GetStatementResultResponse is its records too, so batch bytes followed by the other
            // fields' encoding are the page's encoding, in canonical field order.
            var batchLength = result.BatchLength(index);
            var length = batchLength + fields.CalculateSize();
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                await result.ReadBatchSerializedAsync(index, buffer, context.CancellationToken).ConfigureAwait(false);
                fields.WriteTo(buffer.AsSpan(batchLength, length - batchLength));
                context.SetSerializedResponse(buffer.AsSpan(0, length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return fields; // Not sent: the serialized page is.
        });

    public override Task<CancelStatementResponse> CancelStatement(CancelStatementRequest request, ServerCallContext context) =>
        Guard(() => operations.CancelStatementAsync(request));

    public override Task<ListStatementsResponse> ListStatements(ListStatementsRequest request, ServerCallContext context) =>
        Guard(() => Task.FromResult(operations.ListStatements(request, Caller(context))));

    public override Task<ListDatabasesResponse> ListDatabases(ListDatabasesRequest request, ServerCallContext context) =>
        Guard(() => operations.ListDatabasesAsync(request, context.CancellationToken));

    public override Task<ListSchemasResponse> ListSchemas(ListSchemasRequest request, ServerCallContext context) =>
        Guard(() => operations.ListSchemasAsync(request, context.CancellationToken));

    public override Task<ListTablesResponse> ListTables(ListTablesRequest request, ServerCallContext context) =>
        Guard(() => operations.ListTablesAsync(request, context.CancellationToken));

    public override Task<DescribeTableResponse> DescribeTable(DescribeTableRequest request, ServerCallContext context) =>
        Guard(() => operations.DescribeTableAsync(request, context.CancellationToken));

    public override async Task StreamStatementResult(StreamStatementResultRequest request, IServerStreamWriter<StreamStatementResultResponse> responseStream, ServerCallContext context)
    {
        var result = await Guard(() => Task.FromResult(operations.Statements.GetResult(request.Id))).ConfigureAwait(false);
        // Batches coalesce into fewer HTTP/2 flushes; each awaited write still waits for the
        // reader's flow-control window, so one batch at a time is read from the result file.
        context.BufferResponseWrites = true;
        var token = context.CancellationToken;
        await responseStream.WriteAsync(new StreamStatementResultResponse
        {
            Metadata = new ResultMetadata { ColumnMetadata = { result.Columns }, TotalNumRows = result.TotalRows },
        }, token).ConfigureAwait(false);
        try
        {
            // The result file holds each batch as a serialized RecordBatch, which is byte for byte the
            // `batch` field of a StreamStatementResultResponse once its field header is put in front:
            // the batches go out without being parsed and serialized again.
            await foreach (var stored in result.ReadAllSerializedAsync(BatchFieldHeader.MaxLength, token).ConfigureAwait(false))
            {
                var message = BatchFieldHeader.Prepend(stored, stored.Length - BatchFieldHeader.MaxLength);
                await responseStream.WriteSerializedAsync(message, token).ConfigureAwait(false);
            }
        }
        catch (QueryException exception)
        {
            throw ToRpcException(exception);
        }
    }

    public override async Task WatchStatement(WatchStatementRequest request, IServerStreamWriter<WatchStatementResponse> responseStream, ServerCallContext context)
    {
        var statement = await Guard(() => Task.FromResult(operations.Statements.Get(request.Id))).ConfigureAwait(false);
        var token = context.CancellationToken;
        try
        {
            while (true)
            {
                var snapshot = QueryOperations.Describe(statement, request.Id, out var version);
                await responseStream.WriteAsync(new WatchStatementResponse { Statement = snapshot }, token).ConfigureAwait(false);
                if (Statement.IsTerminal(snapshot.Status))
                {
                    return;
                }
                await statement.WaitForChangeAsync(version, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The watcher went away.
        }
    }

    /// <summary>The gRPC status for a Data API error type.</summary>
    public static RpcException ToRpcException(QueryException exception) => exception.Type switch
    {
        QueryErrorType.ValidationException => RpcStatusExtensions.InvalidArgument(exception.Message, (ToFieldPath(exception.Field), exception.Message)),
        QueryErrorType.ResourceNotFoundException => new RpcException(StatusCode.NotFound, exception.Message),
        QueryErrorType.ActiveStatementsExceededException => new RpcException(StatusCode.ResourceExhausted, exception.Message),
        QueryErrorType.DatabaseConnectionException => new RpcException(StatusCode.Unavailable, exception.Message),
        QueryErrorType.ExecuteStatementException or QueryErrorType.BatchExecuteStatementException => new RpcException(StatusCode.FailedPrecondition, exception.Message),
        _ => new RpcException(StatusCode.Internal, exception.Message),
    };

    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (QueryException exception)
        {
            throw ToRpcException(exception);
        }
    }

    private static string Caller(ServerCallContext context) =>
        context.RequestHeaders.GetValue(CallerHeader) is { Length: > 0 } caller ? caller : "anonymous";

    /// <summary>Data API field names (PascalCase) as the proto's snake_case field paths.</summary>
    private static string ToFieldPath(string? field)
    {
        if (string.IsNullOrEmpty(field))
        {
            return "";
        }
        var path = new System.Text.StringBuilder();
        foreach (var c in field)
        {
            if (char.IsUpper(c) && path.Length > 0)
            {
                path.Append('_');
            }
            path.Append(char.ToLowerInvariant(c));
        }
        return path.ToString();
    }
}
