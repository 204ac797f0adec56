using Grpc.Core;
using Sluice.Query.V1;

namespace Sluice.Contracts.Query;

/// <summary>Calls other services make on the query service: waiting for a statement's end, and cancelling it on the way out.</summary>
public static class QueryClientCalls
{
    /// <summary>The statement's state once it ended (FINISHED, FAILED or ABORTED), through WatchStatement.</summary>
    /// <exception cref="RpcException">The call failed, or UNAVAILABLE when the watch ended before the statement did.</exception>
    public static async Task<DescribeStatementResponse> WaitForEndAsync(this QueryService.QueryServiceClient client, string id, CallOptions options,
        CancellationToken cancellationToken)
    {
        using var watch = client.WatchStatement(new WatchStatementRequest { Id = id }, options);
        while (await watch.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var update = watch.ResponseStream.Current;
            if (update.Statement.Status is StatementStatus.Finished or StatementStatus.Failed or StatementStatus.Aborted)
            {
                return update.Statement;
            }
        }
        throw new RpcException(new Status(StatusCode.Unavailable, $"The watch of statement '{id}' ended before the statement did."));
    }

    /// <summary>Asks for the statement to be cancelled, at most 5 seconds, ignoring a failure: it may have ended meanwhile.</summary>
    public static async Task CancelQuietlyAsync(this QueryService.QueryServiceClient client, string id)
    {
        try
        {
            await client.CancelStatementAsync(new CancelStatementRequest { Id = id }, deadline: DateTime.UtcNow.AddSeconds(5)).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            // Best effort.
        }
    }
}
