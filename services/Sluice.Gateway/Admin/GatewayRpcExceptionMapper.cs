using Grpc.Core;
using Sluice.Contracts;
using Sluice.Gateway.Definitions;
using Sluice.Gateway.Storage;
using Sluice.ServiceDefaults;

namespace Sluice.Gateway.Admin;

/// <summary>The gateway's domain exceptions as statuses: a bad document lists every problem as a field violation.</summary>
internal sealed class GatewayRpcExceptionMapper : IRpcExceptionMapper
{
    public RpcException? TryMap(Exception exception) => exception switch
    {
        ApiDocumentException document => RichStatus.InvalidArgument(document.Message, [.. document.Problems.Select(p => (p.Path, p.Message))]),
        GatewayArgumentException argument => RichStatus.InvalidArgument(argument.Message, (argument.Field, argument.Message)),
        GatewayNotFoundException notFound => new RpcException(new Status(StatusCode.NotFound, notFound.Message)),
        GatewayConflictException conflict => new RpcException(new Status(StatusCode.AlreadyExists, conflict.Message)),
        _ => null,
    };
}
