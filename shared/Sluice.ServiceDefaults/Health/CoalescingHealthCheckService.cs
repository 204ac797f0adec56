using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sluice.ServiceDefaults;

/// <summary>
/// Runs a set of health checks at most once per <see cref="SluiceHealthOptions.CheckCacheDuration"/>
/// and lets every caller asking for the same set in that window share the result: a health Check
/// arrives with each load-balancer probe, and without this each would query the warehouse, the
/// object store and the other services again.
/// </summary>
/// <remarks>
/// Runs are shared per set of checks, never across sets: the gateway's check of its backends
/// calls their health in the same process, and a run for "everything" that waited on itself
/// would only end at its timeout.
/// Runs are also forgotten when the host finishes starting and when it begins stopping: a run
/// begun while the host was starting says "starting", and sharing it with a probe that arrives
/// once the host serves would answer NOT_SERVING for a host that is ready.
/// </remarks>
internal sealed class CoalescingHealthCheckService : HealthCheckService
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (Task<HealthReport> Run, DateTimeOffset StartedAt)> _runs = new(StringComparer.Ordinal);
    private readonly HealthCheckService _inner;
    private readonly IOptions<HealthCheckServiceOptions> _checks;
    private readonly IOptions<SluiceHealthOptions> _options;
    private readonly TimeProvider _clock;

    public CoalescingHealthCheckService(HealthCheckService inner, IOptions<HealthCheckServiceOptions> checks, IOptions<SluiceHealthOptions> options, TimeProvider clock,
        IHostApplicationLifetime? lifetime)
    {
        _inner = inner;
        _checks = checks;
        _options = options;
        _clock = clock;
        lifetime?.ApplicationStarted.Register(ForgetRuns);
        lifetime?.ApplicationStopping.Register(ForgetRuns);
    }

    private void ForgetRuns()
    {
        lock (_lock)
        {
            _runs.Clear();
        }
    }

    public override Task<HealthReport> CheckHealthAsync(Func<HealthCheckRegistration, bool>? predicate, CancellationToken cancellationToken = default)
    {
        var names = _checks.Value.Registrations.Where(r => predicate?.Invoke(r) ?? true).Select(r => r.Name).Order(StringComparer.Ordinal).ToArray();
        return SharedRun(names).WaitAsync(cancellationToken);
    }

    private Task<HealthReport> SharedRun(string[] names)
    {
        var key = string.Join('\n', names);
        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            // A finished run is shared while it is fresh; one still going while it is within the
            // checks' timeout. A check that blocks past its timeout (one that ignores its token)
            // must not hold every later probe: they start a run of their own.
            var age = now - (_runs.TryGetValue(key, out var shared) ? shared.StartedAt : now);
            if (shared.Run is not null
                && (shared.Run.IsCompleted ? age < _options.Value.CheckCacheDuration : age < _options.Value.Timeout))
            {
                return shared.Run;
            }
            var wanted = names.ToHashSet(StringComparer.Ordinal);
            // Not tied to any one caller's token: the run serves everyone who joins it, and each
            // check has its own timeout. Started on the thread pool, so that a check's synchronous
            // part never runs under this lock.
            var run = Task.Run(() => _inner.CheckHealthAsync(registration => wanted.Contains(registration.Name), CancellationToken.None));
            _runs[key] = (run, now);
            return run;
        }
    }
}
