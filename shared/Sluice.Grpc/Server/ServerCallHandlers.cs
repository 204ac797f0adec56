using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Sluice.Grpc.Server;

/// <summary>
/// Serves one method: one instance per method, created when the service is mapped, so a call
/// costs one context object and no reflection or lookups.
/// </summary>
internal abstract class ServerCallHandler<TService, TRequest, TResponse>(
    Method<TRequest, TResponse> method,
    Func<HttpContext, TService> activator,
    GrpcServerOptions options,
    ILogger logger)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    protected Method<TRequest, TResponse> Method { get; } = method;

    public async Task HandleCallAsync(HttpContext http)
    {
        if (KestrelStreamReuseRepair.Repair(http))
        {
            ServerLog.RepairedStreamReuse(logger, Method.FullName);
        }
        var call = new HttpServerCallContext(http, Method.FullName,
            streamingResponse: Method.Type is MethodType.ServerStreaming or MethodType.DuplexStreaming, options, logger);
        try
        {
            if (!call.TryStart(streamingRequest: Method.Type is MethodType.ClientStreaming or MethodType.DuplexStreaming))
            {
                return;
            }
            Exception? failure = null;
            try
            {
                await InvokeAsync(call, activator(http)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failure = ex;
                LogFailure(call, ex);
            }
            await call.CompleteAsync(failure).ConfigureAwait(false);
        }
        finally
        {
            call.Dispose();
        }
    }

    protected abstract Task InvokeAsync(HttpServerCallContext call, TService service);

    private void LogFailure(HttpServerCallContext call, Exception exception)
    {
        var status = call.StatusFromException(exception, out var unexpected);
        if (unexpected)
        {
            ServerLog.UnhandledException(logger, Method.FullName, exception);
        }
        else
        {
            ServerLog.CallFailed(logger, Method.FullName, status.StatusCode, status.Detail);
        }
    }
}

internal sealed class UnaryCallHandler<TService, TRequest, TResponse>(
    Method<TRequest, TResponse> method,
    UnaryServerMethod<TService, TRequest, TResponse> invoker,
    Func<HttpContext, TService> activator,
    GrpcServerOptions options,
    ILogger logger)
    : ServerCallHandler<TService, TRequest, TResponse>(method, activator, options, logger)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    protected override async Task InvokeAsync(HttpServerCallContext call, TService service)
    {
        var request = await call.ReadSingleMessageAsync(Method.RequestParser).ConfigureAwait(false);
        var response = await invoker(service, request, call).ConfigureAwait(false);
        await WriteResponseAsync(call, response).ConfigureAwait(false);
    }

    internal static ValueTask WriteResponseAsync(HttpServerCallContext call, TResponse? response)
    {
        if (response is null && !call.HasSerializedResponse)
        {
            throw new InvalidOperationException("The handler returned no response message.");
        }
        // A handler that set a non-OK status returns no message to the caller.
        return call.Status.StatusCode == StatusCode.OK ? call.WriteFinalMessageAsync(response!) : ValueTask.CompletedTask;
    }
}

internal sealed class ServerStreamingCallHandler<TService, TRequest, TResponse>(
    Method<TRequest, TResponse> method,
    ServerStreamingServerMethod<TService, TRequest, TResponse> invoker,
    Func<HttpContext, TService> activator,
    GrpcServerOptions options,
    ILogger logger)
    : ServerCallHandler<TService, TRequest, TResponse>(method, activator, options, logger)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    protected override async Task InvokeAsync(HttpServerCallContext call, TService service)
    {
        var request = await call.ReadSingleMessageAsync(Method.RequestParser).ConfigureAwait(false);
        await invoker(service, request, new HttpResponseStreamWriter<TResponse>(call), call).ConfigureAwait(false);
    }
}

internal sealed class ClientStreamingCallHandler<TService, TRequest, TResponse>(
    Method<TRequest, TResponse> method,
    ClientStreamingServerMethod<TService, TRequest, TResponse> invoker,
    Func<HttpContext, TService> activator,
    GrpcServerOptions options,
    ILogger logger)
    : ServerCallHandler<TService, TRequest, TResponse>(method, activator, options, logger)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    protected override async Task InvokeAsync(HttpServerCallContext call, TService service)
    {
        var response = await invoker(service, new HttpRequestStreamReader<TRequest>(call, Method.RequestParser), call).ConfigureAwait(false);
        await UnaryCallHandler<TService, TRequest, TResponse>.WriteResponseAsync(call, response).ConfigureAwait(false);
    }
}

internal sealed class DuplexStreamingCallHandler<TService, TRequest, TResponse>(
    Method<TRequest, TResponse> method,
    DuplexStreamingServerMethod<TService, TRequest, TResponse> invoker,
    Func<HttpContext, TService> activator,
    GrpcServerOptions options,
    ILogger logger)
    : ServerCallHandler<TService, TRequest, TResponse>(method, activator, options, logger)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    protected override Task InvokeAsync(HttpServerCallContext call, TService service) =>
        invoker(service, new HttpRequestStreamReader<TRequest>(call, Method.RequestParser), new HttpResponseStreamWriter<TResponse>(call), call);
}
