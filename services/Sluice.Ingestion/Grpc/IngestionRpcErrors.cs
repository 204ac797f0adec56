using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Sluice.Contracts;
using Sluice.Ingestion.Jobs;
using Sluice.Ingestion.Sources;
using Sluice.Ingestion.Streams;
using Sluice.ServiceDefaults;

namespace Sluice.Ingestion.Grpc;

/// <summary>The service's domain failures as statuses with their google.rpc details.</summary>
internal sealed class IngestionRpcExceptionMapper : IRpcExceptionMapper
{
    public RpcException? TryMap(Exception exception) => exception switch
    {
        SourceDefinitionException invalid => RichStatus.InvalidArgument(invalid.Message, [.. invalid.Problems]),
        SourceNotFoundException notFound => NotFound("sluice.ingestion.v1.Source", notFound.Name, notFound.Message),
        JobNotFoundException notFound => NotFound("sluice.ingestion.v1.Job", notFound.JobId, notFound.Message),
        StreamNotFoundException notFound => NotFound("sluice.ingestion.v1.Stream", notFound.Name, notFound.Message),
        StreamExistsException exists => new Google.Rpc.Status
        {
            Code = (int)StatusCode.AlreadyExists,
            Message = exists.Message,
            Details = { Any.Pack(new ResourceInfo { ResourceType = "sluice.ingestion.v1.Stream", ResourceName = exists.Name, Description = exists.Message }) },
        }.ToRpcException(),
        SourceExistsException exists => new Google.Rpc.Status
        {
            Code = (int)StatusCode.AlreadyExists,
            Message = exists.Message,
            Details = { Any.Pack(new ResourceInfo { ResourceType = "sluice.ingestion.v1.Source", ResourceName = exists.Name, Description = exists.Message }) },
        }.ToRpcException(),
        SourceNeedsTriggerException needsTrigger => new Google.Rpc.Status
        {
            Code = (int)StatusCode.FailedPrecondition,
            Message = needsTrigger.Message,
            Details = { Any.Pack(new PreconditionFailure { Violations = { new PreconditionFailure.Types.Violation { Type = "TRIGGER", Subject = needsTrigger.Name, Description = needsTrigger.Message } } }) },
        }.ToRpcException(),
        _ => null,
    };

    private static RpcException NotFound(string type, string name, string message) => new Google.Rpc.Status
    {
        Code = (int)StatusCode.NotFound,
        Message = message,
        Details = { Any.Pack(new ResourceInfo { ResourceType = type, ResourceName = name, Description = message }) },
    }.ToRpcException();
}
