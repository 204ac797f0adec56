using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Sluice.ServiceDefaults;

/// <summary>
/// The bus can send and receive: healthy only while the bus and every receive endpoint are.
/// MassTransit's own check calls endpoints that lost their broker connection "degraded", which
/// grpc.health.v1 reports as SERVING; but a service whose consumers cannot receive is not doing
/// its job, so here that counts as a failure.
/// </summary>
internal sealed class BusHealthCheck(IBusControl bus) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = bus.CheckHealth();
        return Task.FromResult(health.Status == BusHealthStatus.Healthy
            ? HealthCheckResult.Healthy(health.Description)
            : new HealthCheckResult(context.Registration.FailureStatus, health.Description, health.Exception));
    }
}
