using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Sluice.Contracts;
using Grpc.Core;
using Sluice.ServiceDefaults;

namespace Sluice.Validation.Grpc;

/// <summary>
/// The registries' domain failures as statuses, each carrying its google.rpc detail: "not found"
/// as NOT_FOUND and "version taken" as ALREADY_EXISTS.
/// </summary>
internal sealed class ValidationRpcExceptionMapper : IRpcExceptionMapper
{
    public RpcException? TryMap(Exception exception) => exception switch
    {
        ResourceNotFoundException notFound => RpcErrors.NotFound(notFound),
        SchemaVersionConflictException conflict => RpcErrors.AlreadyExists(conflict),
        _ => null,
    };
}

/// <summary>The statuses the service answers with, each carrying its google.rpc detail.</summary>
internal static class RpcErrors
{
    /// <summary>NOT_FOUND with a google.rpc.ResourceInfo naming what is missing.</summary>
    public static RpcException NotFound(ResourceNotFoundException exception) => NotFound(exception.ResourceType, exception.ResourceName, exception.Message);

    public static RpcException NotFound(string resourceType, string resourceName, string message) => new Google.Rpc.Status
    {
        Code = (int)StatusCode.NotFound,
        Message = message,
        Details = { Any.Pack(new ResourceInfo { ResourceType = resourceType, ResourceName = resourceName, Description = message }) },
    }.ToRpcException();

    /// <summary>ALREADY_EXISTS with a google.rpc.ResourceInfo naming the version that is taken.</summary>
    public static RpcException AlreadyExists(SchemaVersionConflictException exception) => new Google.Rpc.Status
    {
        Code = (int)StatusCode.AlreadyExists,
        Message = exception.Message,
        Details =
        {
            Any.Pack(new ResourceInfo
            {
                ResourceType = Schemas.SchemaRegistry.SchemaVersionResource,
                ResourceName = $"{exception.Name}/{exception.Version}",
                Description = exception.Message,
            }),
        },
    }.ToRpcException();
}

/// <summary>
/// Collects every problem of a request, so that one INVALID_ARGUMENT names them all (one
/// google.rpc.BadRequest field violation each, fields as snake_case proto paths).
/// </summary>
internal sealed class FieldViolations
{
    private readonly List<(string Field, string Description)> _violations = [];

    public bool IsEmpty => _violations.Count == 0;

    public void Add(string field, string description) => _violations.Add((field, description));

    public void ThrowIfAny()
    {
        if (_violations.Count > 0)
        {
            throw ToException();
        }
    }

    /// <summary>INVALID_ARGUMENT for a single field.</summary>
    public static RpcException Single(string field, string description)
    {
        var violations = new FieldViolations();
        violations.Add(field, description);
        return violations.ToException();
    }

    private RpcException ToException()
    {
        var (field, description) = _violations[0];
        var message = $"{field}: {description}" + (_violations.Count > 1 ? $" (and {_violations.Count - 1} more problem(s))" : "");
        return RichStatus.InvalidArgument(message, [.. _violations]);
    }
}
