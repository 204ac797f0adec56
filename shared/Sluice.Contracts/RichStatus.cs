using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Sluice.Contracts;

/// <summary>
/// Rich error details (google.rpc.Status in grpc-status-details-bin) for Sluice's common cases,
/// on top of Grpc.StatusProto's <c>ToRpcException</c>, <c>GetRpcStatus</c> and <c>GetDetail</c>.
/// </summary>
public static class RichStatus
{
    /// <summary>INVALID_ARGUMENT with one google.rpc.BadRequest field violation per problem.</summary>
    public static RpcException InvalidArgument(string message, params (string Field, string Description)[] violations)
    {
        var badRequest = new Google.Rpc.BadRequest();
        foreach (var (field, description) in violations)
        {
            badRequest.FieldViolations.Add(new Google.Rpc.BadRequest.Types.FieldViolation { Field = field, Description = description });
        }
        return new Google.Rpc.Status
        {
            Code = (int)StatusCode.InvalidArgument,
            Message = message,
            Details = { Any.Pack(badRequest) },
        }.ToRpcException();
    }

    /// <summary>The first detail of type <typeparamref name="T"/> in the google.rpc.Status the call ended with.</summary>
    public static T? GetDetail<T>(this RpcException exception)
        where T : class, Google.Protobuf.IMessage<T>, new() =>
        exception.GetRpcStatus()?.GetDetail<T>();
}
