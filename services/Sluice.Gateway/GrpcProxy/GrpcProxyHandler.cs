using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Sluice.Gateway.GrpcProxy;

/// <summary>
/// One call on the proxy listener, forwarded without knowing its message types: the route
/// (UNIMPLEMENTED for a service no backend owns), the key and plan checks, then a call to the
/// backend that moves raw messages both ways. Every gRPC call kind is the same on the wire (a
/// stream of messages each way), so each is forwarded as a bidirectional call and the backend
/// enforces its method's shape. Messages are passed one at a time, each write awaited: a slow
/// reader slows the writer through HTTP/2 flow control instead of filling the gateway's memory.
/// </summary>
internal sealed class GrpcProxyHandler(GrpcProxyChannels channels, GrpcProxyAdmission admission, IOptions<GatewayOptions> options)
{
    private static readonly Marshaller<byte[]> PassThrough = Marshallers.Create(static (byte[] bytes) => bytes, static bytes => bytes);

    private readonly int _maxMessage = options.Value.GrpcProxy.MaxMessageBytes;

    public async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        var response = http.Response;
        if (!HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        if (request.ContentType is not { } contentType || !contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith("application/grpc-web", StringComparison.OrdinalIgnoreCase))
        {
            // PROTOCOL-HTTP2: a request that is not gRPC is answered with HTTP 415.
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            // A stream may go on for long; each message has its own limit instead.
            bodyLimit.MaxRequestBodySize = null;
        }
        response.ContentType = "application/grpc";
        response.Headers["grpc-accept-encoding"] = "identity";

        var route = GrpcProxyRoutes.Resolve(request.Path.Value ?? "/", out var problem);
        if (route is null)
        {
            End(response, new Status(StatusCode.Unimplemented, problem!), null);
            return;
        }
        if (await admission.AdmitAsync(request.Headers[GrpcProxyMetadata.ApiKeyHeader].ToString(), route, http.RequestAborted).ConfigureAwait(false) is { } refusal)
        {
            End(response, refusal, null);
            return;
        }
        Metadata headers;
        try
        {
            headers = GrpcProxyMetadata.ToBackend(request.Headers);
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException)
        {
            End(response, new Status(StatusCode.InvalidArgument, "Bad metadata: " + exception.Message), null);
            return;
        }
        if (channels.For(route.Backend) is not { } invoker)
        {
            End(response, new Status(StatusCode.Unavailable, $"The gateway has no address for the {route.Backend} service (Sluice:Services:{route.Backend}:Address)."), null);
            return;
        }
        // gRPC deadlines are wall-clock time, whatever clock the gateway's plans are given.
        var deadline = GrpcProxyMetadata.Deadline(request.Headers["grpc-timeout"].ToString(), DateTime.UtcNow);
        await ForwardAsync(http, invoker, route, headers, deadline).ConfigureAwait(false);
    }

    private async Task ForwardAsync(HttpContext http, CallInvoker invoker, GrpcProxyRoute route, Metadata headers, DateTime deadline)
    {
        var response = http.Response;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var method = new Method<byte[], byte[]>(MethodType.DuplexStreaming, route.Service, route.Method, PassThrough, PassThrough);
        using var call = invoker.AsyncDuplexStreamingCall(method, null, new CallOptions(headers, deadline, stop.Token));
        Status? requestProblem = null;
        var sending = SendAsync();
        Status status;
        Metadata? trailers;
        try
        {
            var backendHeaders = await call.ResponseHeadersAsync.ConfigureAwait(false);
            GrpcProxyMetadata.ToCaller(backendHeaders, (name, value) => response.Headers.Append(name, value));
            // The caller sees the backend's headers as soon as it sent them, before any message.
            await response.BodyWriter.FlushAsync(http.RequestAborted).ConfigureAwait(false);
            while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                await GrpcMessageFrames.WriteAsync(response.BodyWriter, call.ResponseStream.Current, http.RequestAborted).ConfigureAwait(false);
            }
            status = call.GetStatus();
            trailers = call.GetTrailers();
        }
        catch (RpcException exception)
        {
            status = requestProblem ?? exception.Status;
            trailers = requestProblem is null ? exception.Trailers : null;
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The caller went away (cancelled, or its deadline passed): the backend call is cancelled with it.
            await StopAsync(stop, sending).ConfigureAwait(false);
            return;
        }
        await StopAsync(stop, sending).ConfigureAwait(false);
        End(response, status, trailers);

        async Task SendAsync()
        {
            try
            {
                while (await GrpcMessageFrames.ReadAsync(http.Request.BodyReader, _maxMessage, stop.Token).ConfigureAwait(false) is { } message)
                {
                    await call.RequestStream.WriteAsync(message, stop.Token).ConfigureAwait(false);
                }
                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            }
            catch (BadRequestStreamException exception)
            {
                // The caller's stream is not acceptable (compressed, too large, cut short): the call ends with why.
                requestProblem = exception.Status;
                await stop.CancelAsync().ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or RpcException or InvalidOperationException or IOException)
            {
                // The call ended first (the backend answered, failed or was cancelled): nothing more to send.
            }
        }
    }

    private static async Task StopAsync(CancellationTokenSource stop, Task sending)
    {
        // The call is over; a caller still sending (a bidirectional stream the backend ended) is not waited for.
        await stop.CancelAsync().ConfigureAwait(false);
        await sending.ConfigureAwait(false);
    }

    /// <summary>Ends the call: in the trailers, or as a trailers-only response when nothing was sent yet.</summary>
    private static void End(HttpResponse response, Status status, Metadata? trailers)
    {
        Action<string, string> add = response.HasStarted ? (name, value) => response.AppendTrailer(name, value) : (name, value) => response.Headers.Append(name, value);
        if (trailers is not null)
        {
            GrpcProxyMetadata.ToCaller(trailers, add);
        }
        add("grpc-status", ((int)status.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(status.Detail))
        {
            add("grpc-message", GrpcProxyMetadata.EncodeMessage(status.Detail));
        }
    }
}
