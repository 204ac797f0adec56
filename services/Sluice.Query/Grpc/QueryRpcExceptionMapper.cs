using Grpc.Core;
using Sluice.Contracts;
using Sluice.Query.Statements;
using Sluice.ServiceDefaults;

namespace Sluice.Query.Grpc;

/// <summary>The gRPC status of each Data API error type.</summary>
internal sealed class QueryRpcExceptionMapper : IRpcExceptionMapper
{
    public RpcException? TryMap(Exception exception) => exception is QueryException query ? ToRpcException(query) : null;

    /// <summary>
    /// The status for a Data API error, or null for InternalServerException, whose message can
    /// name upstream endpoints: that one becomes INTERNAL with only a logged reference.
    /// </summary>
    public static RpcException? ToRpcException(QueryException exception) => exception.Type switch
    {
        QueryErrorType.ValidationException => RichStatus.InvalidArgument(exception.Message, (ToFieldPath(exception.Field), exception.Message)),
        QueryErrorType.ResourceNotFoundException => new RpcException(new Status(StatusCode.NotFound, exception.Message)),
        QueryErrorType.ActiveStatementsExceededException or QueryErrorType.ActiveSessionsExceededException => new RpcException(new Status(StatusCode.ResourceExhausted, exception.Message)),
        QueryErrorType.DatabaseConnectionException or QueryErrorType.ServiceUnavailableException => new RpcException(new Status(StatusCode.Unavailable, exception.Message)),
        QueryErrorType.ExecuteStatementException or QueryErrorType.BatchExecuteStatementException => new RpcException(new Status(StatusCode.FailedPrecondition, exception.Message)),
        _ => null,
    };

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
