using Grpc.AspNetCore.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sluice.ServiceDefaults;

/// <summary>How often the health checks run for watchers, bound from "Sluice:Health".</summary>
public sealed class SluiceHealthOptions
{
    public const string SectionName = "Sluice:Health";

    /// <summary>
    /// How often every check runs and grpc.health.v1 Watch callers hear of changes. Check calls
    /// always run the checks afresh. Defaults to 10 seconds.
    /// </summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one run of a check may take before it counts as failed. Defaults to 5 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the result of one run of the checks answers every Check call (and /readyz), so
    /// that a flood of probes runs the checks at most this often. Zero runs them for every call.
    /// Defaults to 1 second.
    /// </summary>
    public TimeSpan CheckCacheDuration { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// grpc.health.v1 backed by ASP.NET Core health checks (Grpc.AspNetCore.HealthChecks): the host as
/// a whole under "" (every check) and each gRPC service under its full name (the checks of what
/// that service depends on). Any unhealthy check makes its services NOT_SERVING; Watch callers
/// hear of it within one <see cref="SluiceHealthOptions.Period"/>.
/// </summary>
public static class HealthDefaults
{
    /// <summary>The tag of the message bus's health check.</summary>
    public const string BusTag = "bus";

    internal static void AddSluiceHealth(IHostApplicationBuilder builder)
    {
        var options = new SluiceHealthOptions();
        builder.Configuration.GetSection(SluiceHealthOptions.SectionName).Bind(options);
        if (options.Period <= TimeSpan.Zero || options.Timeout <= TimeSpan.Zero || options.CheckCacheDuration < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{SluiceHealthOptions.SectionName}:Period and Timeout must be positive, CheckCacheDuration zero or more.");
        }
        builder.Services.AddGrpcHealthChecks().AddCheck<HostLifetimeHealthCheck>("host", tags: [HostLifetimeHealthCheck.Tag]);
        builder.Services.AddOptions<SluiceHealthOptions>().BindConfiguration(SluiceHealthOptions.SectionName);
        builder.Services.TryAddSingleton(TimeProvider.System);
        // Each check is bounded on its own, so a hung dependency is reported unhealthy (timed out)
        // instead of holding the shared run below.
        builder.Services.PostConfigure<HealthCheckServiceOptions>(checks =>
        {
            foreach (var registration in checks.Registrations.Where(r => r.Timeout <= TimeSpan.Zero || r.Timeout == System.Threading.Timeout.InfiniteTimeSpan))
            {
                registration.Timeout = options.Timeout;
            }
        });
        // Every consumer of HealthCheckService (grpc.health.v1, the publisher, /readyz) shares runs.
        var original = builder.Services.Last(d => d.ServiceType == typeof(HealthCheckService));
        builder.Services.Remove(original);
        builder.Services.AddSingleton<HealthCheckService>(provider => new CoalescingHealthCheckService(
            (HealthCheckService)(original.ImplementationFactory?.Invoke(provider) ?? ActivatorUtilities.CreateInstance(provider, original.ImplementationType!)),
            provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>(),
            provider.GetRequiredService<IOptions<SluiceHealthOptions>>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetService<IHostApplicationLifetime>()));
        builder.Services.Configure<HealthCheckPublisherOptions>(publisher =>
        {
            publisher.Delay = TimeSpan.FromSeconds(1);
            publisher.Period = options.Period;
            publisher.Timeout = options.Timeout;
        });
    }

    /// <summary>
    /// Declares a gRPC service of this host to grpc.health.v1 under <paramref name="serviceFullName"/>:
    /// it is SERVING while the host runs (not starting or stopping) and every check tagged with one
    /// of <paramref name="dependsOn"/> is healthy.
    /// </summary>
    public static IHostApplicationBuilder AddSluiceServiceHealth(this IHostApplicationBuilder builder, string serviceFullName, params string[] dependsOn)
    {
        var tags = dependsOn.Append(HostLifetimeHealthCheck.Tag).ToHashSet(StringComparer.Ordinal);
        builder.Services.Configure<GrpcHealthChecksOptions>(grpc => grpc.Services.Map(serviceFullName, result => tags.Overlaps(result.Tags)));
        return builder;
    }
}
