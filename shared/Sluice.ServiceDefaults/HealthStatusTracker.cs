using System.Collections.Concurrent;
using Grpc.Health.V1;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Sluice.ServiceDefaults;

/// <summary>
/// The serving status of this host and of each gRPC service it hosts (the key "" is the whole
/// host). Fed by the host's lifetime (SERVING once started, NOT_SERVING when stopping) and by the
/// registered ASP.NET Core health checks (any unhealthy check makes the host NOT_SERVING).
/// </summary>
public sealed class HealthStatusTracker : IHealthCheckPublisher
{
    private readonly ConcurrentDictionary<string, ServingStatus> _statuses = new(StringComparer.Ordinal);
    private event Action<string, ServingStatus>? Changed;

    public HealthStatusTracker()
    {
        _statuses[""] = ServingStatus.NotServing;
    }

    /// <summary>Declares a hosted gRPC service; it follows the host's status unless set explicitly.</summary>
    public void AddService(string serviceName) => _statuses.TryAdd(serviceName, _statuses[""]);

    public bool TryGetStatus(string serviceName, out ServingStatus status) => _statuses.TryGetValue(serviceName, out status);

    /// <summary>Sets the status of one service (or "" for the host) and notifies watchers on change.</summary>
    public void SetStatus(string serviceName, ServingStatus status)
    {
        var previous = _statuses.GetValueOrDefault(serviceName, ServingStatus.ServiceUnknown);
        _statuses[serviceName] = status;
        if (previous != status)
        {
            Changed?.Invoke(serviceName, status);
        }
    }

    /// <summary>Sets the host and every service at once.</summary>
    public void SetAll(ServingStatus status)
    {
        foreach (var name in _statuses.Keys)
        {
            SetStatus(name, status);
        }
    }

    /// <summary>Subscribes to status changes; dispose the result to unsubscribe.</summary>
    public IDisposable Subscribe(Action<string, ServingStatus> onChange)
    {
        Changed += onChange;
        return new Subscription(() => Changed -= onChange);
    }

    Task IHealthCheckPublisher.PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        SetAll(report.Status == HealthStatus.Unhealthy ? ServingStatus.NotServing : ServingStatus.Serving);
        return Task.CompletedTask;
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}

/// <summary>Moves the tracker to SERVING when the host has started and NOT_SERVING when it stops.</summary>
internal sealed class HealthLifetimeService(HealthStatusTracker tracker, IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => tracker.SetAll(ServingStatus.Serving));
        lifetime.ApplicationStopping.Register(() => tracker.SetAll(ServingStatus.NotServing));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
