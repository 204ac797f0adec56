namespace Sluice.Grpc;

/// <summary>A unary handler, bound by generated code to a service's virtual method.</summary>
public delegate Task<TResponse> UnaryServerMethod<in TService, in TRequest, TResponse>(TService service, TRequest request, ServerCallContext context);

/// <summary>A server-streaming handler.</summary>
public delegate Task ServerStreamingServerMethod<in TService, in TRequest, TResponse>(TService service, TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context);

/// <summary>A client-streaming handler.</summary>
public delegate Task<TResponse> ClientStreamingServerMethod<in TService, TRequest, TResponse>(TService service, IAsyncStreamReader<TRequest> requestStream, ServerCallContext context);

/// <summary>A bidirectional-streaming handler.</summary>
public delegate Task DuplexStreamingServerMethod<in TService, TRequest, TResponse>(TService service, IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context);
