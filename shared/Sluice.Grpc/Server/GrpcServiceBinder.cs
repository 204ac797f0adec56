using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Sluice.Grpc.Server;

namespace Sluice.Grpc;

/// <summary>
/// Implemented by generated service base classes: names the service and binds each of its
/// methods. <see cref="GrpcEndpointRouteBuilderExtensions.MapGrpcService{TService}"/> finds it
/// on a service's base class, once, when the service is mapped.
/// </summary>
public interface IGrpcServiceDefinition<TSelf>
    where TSelf : class
{
    /// <summary>Fully qualified service name, e.g. <c>sluice.query.v1.QueryService</c>.</summary>
    static abstract string ServiceName { get; }

    static abstract void BindService(GrpcServiceBinder<TSelf> binder);
}

/// <summary>Maps the methods of one service to HTTP/2 endpoints; called by generated code.</summary>
public sealed class GrpcServiceBinder<TService>
    where TService : class
{
    private readonly IEndpointRouteBuilder _endpoints;
    private readonly Func<HttpContext, TService> _activator;
    private readonly GrpcServerOptions _options;
    private readonly ILogger _logger;
    private readonly List<IEndpointConventionBuilder> _builders = [];

    internal GrpcServiceBinder(IEndpointRouteBuilder endpoints, Func<HttpContext, TService> activator, GrpcServerOptions options, ILogger logger)
    {
        _endpoints = endpoints;
        _activator = activator;
        _options = options;
        _logger = logger;
    }

    internal IReadOnlyList<IEndpointConventionBuilder> Builders => _builders;

    public void AddUnaryMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TService, TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Map(method, new UnaryCallHandler<TService, TRequest, TResponse>(method, handler, _activator, _options, _logger));

    public void AddServerStreamingMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TService, TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Map(method, new ServerStreamingCallHandler<TService, TRequest, TResponse>(method, handler, _activator, _options, _logger));

    public void AddClientStreamingMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TService, TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Map(method, new ClientStreamingCallHandler<TService, TRequest, TResponse>(method, handler, _activator, _options, _logger));

    public void AddDuplexStreamingMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TService, TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Map(method, new DuplexStreamingCallHandler<TService, TRequest, TResponse>(method, handler, _activator, _options, _logger));

    private void Map<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerCallHandler<TService, TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        // Mapped for every HTTP method, with POST checked by the handler: HTTP method metadata
        // would make routing run its method matcher policy on every call.
        var builder = _endpoints.Map(method.FullName, handler.HandleCallAsync)
            .WithDisplayName("gRPC " + method.FullName)
            .WithMetadata(new GrpcMethodMetadata(method.ServiceName, method.Name, method.Type));
        _builders.Add(builder);
    }
}

/// <summary>Endpoint metadata that marks a gRPC method endpoint.</summary>
public sealed record GrpcMethodMetadata(string ServiceName, string MethodName, MethodType MethodType);
