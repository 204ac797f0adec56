using Google.Protobuf.Reflection;

namespace Sluice.Gateway.GrpcProxy;

/// <summary>A call the proxy may forward: the backend client that owns its package, and its throttle key.</summary>
internal sealed record GrpcProxyRoute(string Backend, string Service, string Method)
{
    public string Path => $"/{Service}/{Method}";

    /// <summary>
    /// The key of a per-method throttle in a usage plan, in API Gateway's "/resource/METHOD" form: a
    /// gRPC call is a POST of its method path, so "/sluice.query.v1.QueryService/ExecuteStatement/POST".
    /// </summary>
    public string ThrottleKey => Path + "/POST";
}

/// <summary>
/// Which backend owns each package the proxy serves, and the allow-list of methods. The proxy does
/// not need the message types: a package is owned by the service whose contracts declare it, and
/// any method name of an allowed service is forwarded (the backend answers UNIMPLEMENTED for one it lacks).
/// </summary>
internal sealed class GrpcProxyRoutes
{
    /// <summary>Backend client names (Sluice:Services:{Name}) by the protobuf package they own.</summary>
    private static readonly Dictionary<string, string> Owners = new (FileDescriptor File, string Backend)[]
    {
        (Sluice.Query.V1.QueryReflection.Descriptor, "Query"),
        (Sluice.Validation.V1.ValidationReflection.Descriptor, "Validation"),
        (Sluice.Ingestion.V1.IngestionReflection.Descriptor, "Ingestion"),
    }.ToDictionary(p => p.File.Package, p => p.Backend, StringComparer.Ordinal);

    private readonly HashSet<string> _wholeServices = new(StringComparer.Ordinal);
    private readonly HashSet<string> _methods = new(StringComparer.Ordinal);

    /// <summary>Reads the allow-list; an entry that is malformed or names a package no backend owns throws.</summary>
    public GrpcProxyRoutes(IEnumerable<string> allowed)
    {
        foreach (var entry in allowed)
        {
            if (Problem(entry) is { } problem)
            {
                throw new InvalidOperationException($"Sluice:Gateway:GrpcProxy:AllowedMethods: {problem}");
            }
            var slash = entry.IndexOf('/');
            if (entry[(slash + 1)..] == "*")
            {
                _wholeServices.Add(entry[..slash]);
            }
            else
            {
                _methods.Add(entry);
            }
        }
    }

    /// <summary>What is wrong with an allow-list entry, or null.</summary>
    public static string? Problem(string entry)
    {
        var slash = entry.IndexOf('/');
        if (slash <= 0 || slash == entry.Length - 1 || entry.IndexOf('/', slash + 1) >= 0)
        {
            return $"'{entry}' is not \"package.Service/Method\" or \"package.Service/*\".";
        }
        var service = entry[..slash];
        return OwnerOf(service) is null
            ? $"'{entry}': no backend owns the service '{service}' (the proxy reaches the {string.Join(", ", Owners.Keys)} packages)."
            : null;
    }

    /// <summary>
    /// Splits a request path "/package.Service/Method". Null (with why) when the path is not a gRPC
    /// method path or no backend owns the service: the call is UNIMPLEMENTED. The gateway's own
    /// admin package is owned by no backend, so it is never proxied.
    /// </summary>
    public static GrpcProxyRoute? Resolve(string path, out string? problem)
    {
        problem = null;
        var trimmed = path.StartsWith('/') ? path[1..] : path;
        var slash = trimmed.IndexOf('/');
        if (slash <= 0 || slash == trimmed.Length - 1 || trimmed.IndexOf('/', slash + 1) >= 0)
        {
            problem = $"'{Shorten(path)}' is not a gRPC method path (/package.Service/Method).";
            return null;
        }
        var service = trimmed[..slash];
        if (OwnerOf(service) is not { } backend)
        {
            problem = $"The gRPC proxy serves no service '{Shorten(service)}'.";
            return null;
        }
        return new GrpcProxyRoute(backend, service, trimmed[(slash + 1)..]);
    }

    public bool IsAllowed(GrpcProxyRoute route) =>
        _wholeServices.Contains(route.Service) || _methods.Contains(route.Service + "/" + route.Method);

    private static string? OwnerOf(string service)
    {
        var dot = service.LastIndexOf('.');
        return dot > 0 && dot < service.Length - 1 && Owners.TryGetValue(service[..dot], out var backend) ? backend : null;
    }

    /// <summary>Caller input echoed in a status message is cut short.</summary>
    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
