using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Sluice.Grpc;

namespace Sluice.Contracts;

/// <summary>Rich error details (google.rpc.Status) on top of the runtime's <see cref="RpcException"/>.</summary>
public static class RpcStatusExtensions
{
    /// <summary>An exception whose status carries <paramref name="details"/> in grpc-status-details-bin.</summary>
    public static RpcException ToRpcException(this Google.Rpc.Status status)
    {
        var trailers = new Metadata { { RpcException.StatusDetailsTrailer, status.ToByteArray() } };
        return new RpcException(new Sluice.Grpc.Status((StatusCode)status.Code, status.Message), trailers);
    }

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

    /// <summary>The google.rpc.Status the call ended with, if it sent one.</summary>
    public static Google.Rpc.Status? GetRpcStatus(this RpcException exception) =>
        exception.StatusDetails is { } bytes ? Google.Rpc.Status.Parser.ParseFrom(bytes) : null;

    /// <summary>The first detail of type <typeparamref name="T"/> in the call's google.rpc.Status.</summary>
    public static T? GetDetail<T>(this RpcException exception)
        where T : class, IMessage<T>, new()
    {
        var status = exception.GetRpcStatus();
        if (status is null)
        {
            return null;
        }
        var descriptor = new T().Descriptor;
        foreach (var detail in status.Details)
        {
            if (detail.Is(descriptor))
            {
                return detail.Unpack<T>();
            }
        }
        return null;
    }
}
