using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Sluice.ServiceDefaults;

/// <summary>
/// Healthy once the host has started and until it begins stopping: load balancers and watchers
/// stop sending work to a host that is draining, and a host with nothing else to check still
/// answers SERVING rather than UNKNOWN.
/// </summary>
internal sealed class HostLifetimeHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public const string Tag = "host";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            lifetime.ApplicationStopping.IsCancellationRequested ? new HealthCheckResult(context.Registration.FailureStatus, "The host is stopping.")
            : !lifetime.ApplicationStarted.IsCancellationRequested ? new HealthCheckResult(context.Registration.FailureStatus, "The host is starting.")
            : HealthCheckResult.Healthy());
}
