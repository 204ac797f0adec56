using System.Data.Common;
using System.Diagnostics;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Sluice.ServiceDefaults.Rpc;

/// <summary>
/// The one place where exceptions become statuses, for every method of every service:
/// <list type="bullet">
/// <item>an <see cref="RpcException"/> passes as it is (handlers that already chose a status);</item>
/// <item>a domain exception becomes what a registered <see cref="IRpcExceptionMapper"/> says
/// (INVALID_ARGUMENT with BadRequest, NOT_FOUND, FAILED_PRECONDITION, RESOURCE_EXHAUSTED, ...);</item>
/// <item>a dependency that cannot be reached becomes UNAVAILABLE, naming no host or address;</item>
/// <item>cancellation by the caller or its deadline becomes CANCELLED or DEADLINE_EXCEEDED;</item>
/// <item>anything else becomes INTERNAL with only a reference to the logged error: exception
/// messages can carry connection strings, paths or SQL, so they never leave the process.</item>
/// </list>
/// </summary>
internal sealed class StatusInterceptor(IEnumerable<IRpcExceptionMapper> mappers, ILogger<StatusInterceptor> logger) : Interceptor
{
    private readonly IRpcExceptionMapper[] _mappers = [.. mappers];

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not RpcException)
        {
            throw ToRpcException(exception, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not RpcException)
        {
            throw ToRpcException(exception, context);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not RpcException)
        {
            throw ToRpcException(exception, context);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not RpcException)
        {
            throw ToRpcException(exception, context);
        }
    }

    private RpcException ToRpcException(Exception exception, ServerCallContext context)
    {
        foreach (var mapper in _mappers)
        {
            if (mapper.TryMap(exception) is { } mapped)
            {
                ServiceDefaultsLog.CallFailed(logger, context.Method, mapped.StatusCode, mapped.Status.Detail);
                return mapped;
            }
        }
        if (exception is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            return context.Deadline <= DateTime.UtcNow
                ? new RpcException(new Status(StatusCode.DeadlineExceeded, "The call's deadline passed before it finished."))
                : new RpcException(new Status(StatusCode.Cancelled, "The call was cancelled."));
        }
        if (UnavailableDependency(exception) is { } dependency)
        {
            ServiceDefaultsLog.DependencyUnavailable(logger, context.Method, dependency, exception);
            return new RpcException(new Status(StatusCode.Unavailable, $"A dependency of this service ({dependency}) is unavailable; try again later."));
        }
        var reference = Activity.Current?.TraceId.ToString() ?? Guid.NewGuid().ToString("N");
        ServiceDefaultsLog.UnhandledException(logger, context.Method, reference, exception);
        return new RpcException(new Status(StatusCode.Internal, $"Internal error (reference {reference})."));
    }

    /// <summary>The dependency an exception says is down, or null when it is not that kind of failure.</summary>
    private static string? UnavailableDependency(Exception exception) => exception switch
    {
        DependencyUnavailableException known => known.Dependency,
        DbException { IsTransient: true } => "database",
        SocketException or HttpRequestException => "network peer",
        TimeoutException => "a peer that timed out",
        _ => exception.InnerException is { } inner ? UnavailableDependency(inner) : null,
    };
}
