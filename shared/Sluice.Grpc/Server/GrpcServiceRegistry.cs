using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Routing;

namespace Sluice.Grpc.Server;

/// <summary>The services mapped in this host, to tell "unknown method" from "unknown service".</summary>
internal sealed class GrpcServiceRegistry
{
    private readonly ConcurrentDictionary<string, bool> _services = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<IEndpointRouteBuilder, object> _fallbackMapped = [];

    public void AddService(string serviceName) => _services.TryAdd(serviceName, true);

    public bool HasService(string serviceName) => _services.ContainsKey(serviceName);

    public IReadOnlyCollection<string> ServiceNames => (IReadOnlyCollection<string>)_services.Keys;

    public bool TryMarkFallbackMapped(IEndpointRouteBuilder endpoints) => _fallbackMapped.TryAdd(endpoints, this);
}
