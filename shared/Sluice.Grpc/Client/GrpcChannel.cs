using System.Net.Security;
using Google.Protobuf;
using Sluice.Grpc.Client;

namespace Sluice.Grpc;

/// <summary>
/// A connection pool to one gRPC server address (<c>http://</c> for cleartext HTTP/2 with prior
/// knowledge, <c>https://</c> for HTTP/2 over TLS). Thread-safe; create one per server and share it.
/// Generated clients wrap a channel.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private readonly bool _disposeHandler;

    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        if (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"Address '{address}' must use http (cleartext HTTP/2) or https (TLS).", nameof(address));
        }
        Address = address;
        MaxReceiveMessageSize = options.MaxReceiveMessageSize;
        MaxSendMessageSize = options.MaxSendMessageSize;
        RequestCompression = options.RequestCompression;
        var handler = options.HttpHandler ?? CreateDefaultHandler(options.ServerCertificateValidation);
        _disposeHandler = options.HttpHandler is null || options.DisposeHttpHandler;
        Invoker = new HttpMessageInvoker(handler, disposeHandler: _disposeHandler);
    }

    /// <summary>The server's base address.</summary>
    public Uri Address { get; }

    internal HttpMessageInvoker Invoker { get; }

    internal int? MaxReceiveMessageSize { get; }

    internal int? MaxSendMessageSize { get; }

    internal string? RequestCompression { get; }

    public static GrpcChannel ForAddress(string address, GrpcChannelOptions? options = null) =>
        ForAddress(new Uri(address, UriKind.Absolute), options);

    public static GrpcChannel ForAddress(Uri address, GrpcChannelOptions? options = null) =>
        new(address, options ?? new GrpcChannelOptions());

    public AsyncUnaryCall<TResponse> CreateUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = new GrpcCall<TRequest, TResponse>(this, method, options);
        call.Start(request);
        return new AsyncUnaryCall<TResponse>(call.ReadUnaryResponseAsync(), call);
    }

    public AsyncServerStreamingCall<TResponse> CreateServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = new GrpcCall<TRequest, TResponse>(this, method, options);
        call.Start(request);
        return new AsyncServerStreamingCall<TResponse>(new ResponseStreamReader<TRequest, TResponse>(call), call);
    }

    public AsyncClientStreamingCall<TRequest, TResponse> CreateClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var call = new GrpcCall<TRequest, TResponse>(this, method, options);
        call.Start(null);
        return new AsyncClientStreamingCall<TRequest, TResponse>(new RequestStreamWriter<TRequest, TResponse>(call), call.ReadUnaryResponseAsync(), call);
    }

    public AsyncDuplexStreamingCall<TRequest, TResponse> CreateDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var call = new GrpcCall<TRequest, TResponse>(this, method, options);
        call.Start(null);
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(new RequestStreamWriter<TRequest, TResponse>(call), new ResponseStreamReader<TRequest, TResponse>(call), call);
    }

    public void Dispose() => Invoker.Dispose();

    private static SocketsHttpHandler CreateDefaultHandler(RemoteCertificateValidationCallback? certificateValidation)
    {
        var handler = new SocketsHttpHandler
        {
            // A connection carries at most the server's MAX_CONCURRENT_STREAMS; more calls open more connections.
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
            // Service-to-service traffic: an HTTP proxy from the environment would break h2c.
            UseProxy = false,
        };
        if (certificateValidation is not null)
        {
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = certificateValidation };
        }
        return handler;
    }
}
