using System.Buffers;
using Google.Protobuf;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Grpc.Core;
using Sluice.Query.Statements;
using Sluice.Query.V1;
using Sluice.ServiceDefaults;

namespace Sluice.Query.Grpc;

/// <summary>
/// sluice.query.v1.QueryService over <see cref="QueryOperations"/>. Domain failures are thrown as
/// <see cref="QueryException"/> and become statuses in <see cref="QueryRpcExceptionMapper"/>.
/// </summary>
/// <remarks>
/// Stored result batches go out as they are (<see cref="SerializedMessage"/>), so this class binds
/// its methods itself instead of overriding the generated base: see
/// <see cref="SerializedResponseBinder"/> for why every handler is <c>public virtual</c>.
/// </remarks>
[BindServiceMethod(typeof(QueryGrpcService), nameof(BindService))]
public class QueryGrpcService(QueryOperations operations)
{
    /// <summary>Request header naming the caller, for per-caller limits and listing; defaults to "anonymous".</summary>
    public const string CallerHeader = "x-sluice-caller";

    /// <summary>The contract, for server reflection.</summary>
    public static ServiceDescriptor Descriptor => QueryService.Descriptor;

    /// <summary>Binds the contract's methods, with the two result readers answering in wire form.</summary>
    public static void BindService(ServiceBinderBase binder, QueryGrpcService service) =>
        QueryService.BindService(new SerializedResponseBinder(binder, nameof(GetStatementResult), nameof(StreamStatementResult)), null!);

    public virtual Task<ExecuteStatementResponse> ExecuteStatement(ExecuteStatementRequest request, ServerCallContext context) =>
        operations.ExecuteStatementAsync(request, Caller(context));

    public virtual Task<BatchExecuteStatementResponse> BatchExecuteStatement(BatchExecuteStatementRequest request, ServerCallContext context) =>
        operations.BatchExecuteStatementAsync(request, Caller(context));

    public virtual Task<DescribeStatementResponse> DescribeStatement(DescribeStatementRequest request, ServerCallContext context) =>
        operations.DescribeStatementAsync(request, context.CancellationToken);

    /// <summary>A GetStatementResultResponse, its records copied from the result file as they are.</summary>
    public virtual async Task<SerializedMessage> GetStatementResult(GetStatementResultRequest request, ServerCallContext context)
    {
        await operations.RequireResultFormatAsync(request.Id, ResultFormats.Json, context.CancellationToken).ConfigureAwait(false);
        var (result, index, next) = await operations.Statements.ResolvePageAsync(request.Id, request.NextToken is { Length: > 0 } token ? token : null, context.CancellationToken)
            .ConfigureAwait(false);
        var fields = new GetStatementResultResponse
        {
            ColumnMetadata = { result.Columns },
            TotalNumRows = result.TotalRows,
            NextToken = next ?? "",
        };
        if (result.BatchCount == 0)
        {
            return new SerializedMessage(fields.ToByteArray());
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
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        return SerializedMessage.FromRented(buffer, length);
    }

    public virtual Task<GetStatementResultV2Response> GetStatementResultV2(GetStatementResultV2Request request, ServerCallContext context) =>
        operations.GetStatementResultV2Async(request, context.CancellationToken);

    public virtual Task<CancelStatementResponse> CancelStatement(CancelStatementRequest request, ServerCallContext context) =>
        operations.CancelStatementAsync(request, context.CancellationToken);

    public virtual Task<ListStatementsResponse> ListStatements(ListStatementsRequest request, ServerCallContext context) =>
        operations.ListStatementsAsync(request, Caller(context), context.CancellationToken);

    public virtual Task<ListDatabasesResponse> ListDatabases(ListDatabasesRequest request, ServerCallContext context) =>
        operations.ListDatabasesAsync(request, context.CancellationToken);

    public virtual Task<ListSchemasResponse> ListSchemas(ListSchemasRequest request, ServerCallContext context) =>
        operations.ListSchemasAsync(request, context.CancellationToken);

    public virtual Task<ListTablesResponse> ListTables(ListTablesRequest request, ServerCallContext context) =>
        operations.ListTablesAsync(request, context.CancellationToken);

    public virtual Task<DescribeTableResponse> DescribeTable(DescribeTableRequest request, ServerCallContext context) =>
        operations.DescribeTableAsync(request, context.CancellationToken);

    /// <summary>
    /// StreamStatementResultResponse messages: the metadata, then each stored batch as it is. A statement still running
    /// here is followed: its batches go out as it writes them (the metadata's total_num_rows is then -1), and the stream
    /// ends when the result is whole, or with the statement's error if it stops first. On a replica that does not run
    /// the statement, the stream first waits for it to end (<see cref="StatementManager.WaitForResultAsync"/>).
    /// </summary>
    public virtual async Task StreamStatementResult(StreamStatementResultRequest request, IServerStreamWriter<SerializedMessage> responseStream, ServerCallContext context)
    {
        var token = context.CancellationToken;
        var result = await operations.Statements.OpenResultStreamAsync(request.Id, token).ConfigureAwait(false);
        var metadata = new StreamStatementResultResponse
        {
            Metadata = new ResultMetadata { ColumnMetadata = { result.Columns }, TotalNumRows = result.TotalRows },
        };
        await responseStream.WriteAsync(new SerializedMessage(metadata.ToByteArray()), token).ConfigureAwait(false);

        // Small batches coalesce into fewer HTTP/2 flushes: writes are buffered until about
        // FlushThreshold bytes are waiting. Each flush still waits for the reader's flow-control
        // window, so a slow reader holds the server to a few batches in memory.
        var pending = 0;
        try
        {
            // The result file holds each batch as a serialized RecordBatch, which is byte for byte the
            // `batch` field of a StreamStatementResultResponse once its field header is put in front.
            await foreach (var stored in result.ReadAllSerializedAsync(BatchFieldHeader.MaxLength, token).ConfigureAwait(false))
            {
                var message = BatchFieldHeader.Prepend(stored, stored.Length - BatchFieldHeader.MaxLength);
                pending += message.Length;
                responseStream.WriteOptions = pending < FlushThreshold ? BufferedWrite : null;
                if (responseStream.WriteOptions is null)
                {
                    pending = 0;
                }
                await responseStream.WriteAsync(new SerializedMessage(message), token).ConfigureAwait(false);
            }
        }
        catch (ResultAbandonedException)
        {
            throw await operations.Statements.AbandonedResultErrorAsync(request.Id, token).ConfigureAwait(false);
        }
    }

    public virtual async Task WatchStatement(WatchStatementRequest request, IServerStreamWriter<WatchStatementResponse> responseStream, ServerCallContext context)
    {
        var token = context.CancellationToken;
        var statement = await operations.Statements.FindAsync(request.Id, token).ConfigureAwait(false);
        try
        {
            if (!operations.Statements.Holds(request.Id))
            {
                // Another replica runs it: its changes are read from the store.
                await foreach (var stored in operations.Statements.WatchStoredAsync(request.Id, token).ConfigureAwait(false))
                {
                    await responseStream.WriteAsync(new WatchStatementResponse { Statement = QueryOperations.Describe(stored, request.Id, out _) }, token).ConfigureAwait(false);
                }
                return;
            }
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

    private const int FlushThreshold = 32 * 1024;

    private static readonly WriteOptions BufferedWrite = new(WriteFlags.BufferHint);

    private static string Caller(ServerCallContext context) =>
        context.RequestHeaders.GetValue(CallerHeader) is { Length: > 0 } caller ? caller : "anonymous";
}
