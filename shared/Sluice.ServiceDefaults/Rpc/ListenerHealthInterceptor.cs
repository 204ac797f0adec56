using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;

namespace Sluice.ServiceDefaults.Rpc;

/// <summary>
/// Health answers for what the listener called serves: in the all-in-one host the query listener
/// does not serve the validation service, so Check for it there is NOT_FOUND and Watch reports
/// SERVICE_UNKNOWN, as for any service the server does not know (gRPC's health-checking spec),
/// instead of the status of a service the caller cannot reach on that port.
/// </summary>
internal sealed class ListenerHealthInterceptor(ListenerServiceDescriptors listeners) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (request is HealthCheckRequest check && listeners.IsServedElsewhere(context, check.Service))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"Service '{check.Service}' is not served on this listener."));
        }
        return continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (request is HealthCheckRequest watch && listeners.IsServedElsewhere(context, watch.Service) && responseStream is IServerStreamWriter<HealthCheckResponse> writer)
        {
            await writer.WriteAsync(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.ServiceUnknown }).ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The watcher went away.
            }
            return;
        }
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }
}
