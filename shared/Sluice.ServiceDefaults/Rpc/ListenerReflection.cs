using System.Collections.Concurrent;
using System.Reflection;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Sluice.ServiceDefaults.Rpc;

/// <summary>
/// The services each listener serves, for server reflection and health. Grpc.AspNetCore's own reflection
/// lists every service of the application; in the all-in-one host that would offer a client of
/// the query listener the validation service, which that listener does not serve. Endpoints
/// without a listener (standalone hosts, health, reflection itself) count on every listener.
/// </summary>
internal sealed class ListenerServiceDescriptors(EndpointDataSource endpoints)
{
    private readonly ConcurrentDictionary<string, (ReflectionServiceImpl V1Alpha, ReflectionV1ServiceImpl V1)> _byListener = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HashSet<string>> _servedNames = new(StringComparer.Ordinal);

    public ReflectionServiceImpl V1AlphaFor(ServerCallContext context) => For(context).V1Alpha;

    public ReflectionV1ServiceImpl V1For(ServerCallContext context) => For(context).V1;

    /// <summary>
    /// True when <paramref name="serviceName"/> is a service of this application that the
    /// listener called does not serve (the all-in-one host serves each service on its own).
    /// </summary>
    public bool IsServedElsewhere(ServerCallContext context, string serviceName)
    {
        var listener = ListenerRouting.GetListener(context.GetHttpContext()) ?? "";
        if (listener == "" || serviceName.Length == 0)
        {
            return false;
        }
        var here = _servedNames.GetOrAdd(listener, name => [.. Resolve(name).Select(d => d.FullName)]);
        var anywhere = _servedNames.GetOrAdd("", _ => [.. Resolve("").Select(d => d.FullName)]);
        return anywhere.Contains(serviceName) && !here.Contains(serviceName);
    }

    private (ReflectionServiceImpl V1Alpha, ReflectionV1ServiceImpl V1) For(ServerCallContext context)
    {
        var listener = ListenerRouting.GetListener(context.GetHttpContext()) ?? "";
        return _byListener.GetOrAdd(listener, name =>
        {
            var descriptors = Resolve(name);
            return (new ReflectionServiceImpl(descriptors), new ReflectionV1ServiceImpl(descriptors));
        });
    }

    private List<ServiceDescriptor> Resolve(string listener)
    {
        var descriptors = new List<ServiceDescriptor>();
        foreach (var endpoint in endpoints.Endpoints)
        {
            if (endpoint.Metadata.GetMetadata<GrpcMethodMetadata>() is not { } grpc)
            {
                continue;
            }
            var required = endpoint.Metadata.GetMetadata<ListenerMetadata>()?.Name;
            if ((required is null || required == listener || listener == "") && DescriptorOf(grpc.ServiceType) is { } descriptor && !descriptors.Contains(descriptor))
            {
                descriptors.Add(descriptor);
            }
        }
        return descriptors;
    }

    /// <summary>
    /// The static Descriptor of the type a service class binds through: the one its
    /// BindServiceMethodAttribute names, else the class that declares its generated base.
    /// </summary>
    private static ServiceDescriptor? DescriptorOf(Type serviceType)
    {
        for (var type = serviceType; type is not null; type = type.BaseType)
        {
            var holder = type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false)?.BindType ?? type.DeclaringType;
            if (holder?.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is ServiceDescriptor descriptor)
            {
                return descriptor;
            }
        }
        return null;
    }
}

/// <summary>grpc.reflection.v1alpha.ServerReflection (what grpcurl and most GUI clients ask first) for the listener called.</summary>
internal sealed class ListenerReflectionV1Alpha(ListenerServiceDescriptors descriptors) : Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionBase
{
    public override Task ServerReflectionInfo(IAsyncStreamReader<Grpc.Reflection.V1Alpha.ServerReflectionRequest> requestStream, IServerStreamWriter<Grpc.Reflection.V1Alpha.ServerReflectionResponse> responseStream, ServerCallContext context) =>
        descriptors.V1AlphaFor(context).ServerReflectionInfo(requestStream, responseStream, context);
}

/// <summary>grpc.reflection.v1.ServerReflection for the listener called.</summary>
internal sealed class ListenerReflectionV1(ListenerServiceDescriptors descriptors) : Grpc.Reflection.V1.ServerReflection.ServerReflectionBase
{
    public override Task ServerReflectionInfo(IAsyncStreamReader<Grpc.Reflection.V1.ServerReflectionRequest> requestStream, IServerStreamWriter<Grpc.Reflection.V1.ServerReflectionResponse> responseStream, ServerCallContext context) =>
        descriptors.V1For(context).ServerReflectionInfo(requestStream, responseStream, context);
}
