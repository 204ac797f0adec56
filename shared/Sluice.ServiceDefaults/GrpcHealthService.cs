using System.Threading.Channels;
using Grpc.Health.V1;
using Sluice.Grpc;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Sluice.ServiceDefaults;

/// <summary>grpc.health.v1.Health as gRPC's doc/health-checking.md specifies it.</summary>
public sealed class GrpcHealthService(HealthStatusTracker tracker) : Health.HealthBase
{
    public override Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context)
    {
        if (!tracker.TryGetStatus(request.Service, out var status))
        {
            throw new RpcException(StatusCode.NotFound, $"Unknown service '{request.Service}'.");
        }
        return Task.FromResult(new HealthCheckResponse { Status = status });
    }

    public override async Task Watch(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responseStream, ServerCallContext context)
    {
        // Only the latest status matters to a watcher, so a slow one skips intermediate changes.
        var changes = Channel.CreateBounded<ServingStatus>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        using var subscription = tracker.Subscribe((service, status) =>
        {
            if (service == request.Service)
            {
                changes.Writer.TryWrite(status);
            }
        });

        var current = tracker.TryGetStatus(request.Service, out var known) ? known : ServingStatus.ServiceUnknown;
        await responseStream.WriteAsync(new HealthCheckResponse { Status = current }, context.CancellationToken).ConfigureAwait(false);
        try
        {
            await foreach (var status in changes.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                if (status == current)
                {
                    continue;
                }
                current = status;
                await responseStream.WriteAsync(new HealthCheckResponse { Status = status }, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The watcher went away: the call ends.
        }
    }
}
