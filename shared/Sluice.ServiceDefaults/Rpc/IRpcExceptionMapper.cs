using Grpc.Core;

namespace Sluice.ServiceDefaults;

/// <summary>
/// Turns one family of a service's domain exceptions into the status its callers see. Register
/// one per family with <see cref="GrpcDefaultsExtensions.AddRpcExceptionMapper{TMapper}"/>; the
/// status interceptor asks each in turn, so handlers throw domain exceptions and never wrap
/// their bodies in a guard.
/// </summary>
public interface IRpcExceptionMapper
{
    /// <summary>The status for <paramref name="exception"/>, or null when it is not of this mapper's family.</summary>
    RpcException? TryMap(Exception exception);
}

/// <summary>
/// A dependency (broker, warehouse, object store, another service) could not be reached. Callers
/// see UNAVAILABLE, which tells them the same call may succeed later.
/// </summary>
public sealed class DependencyUnavailableException(string dependency, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    /// <summary>What could not be reached, e.g. "warehouse".</summary>
    public string Dependency { get; } = dependency;
}
