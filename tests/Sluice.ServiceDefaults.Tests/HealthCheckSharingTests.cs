using System.Net;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace Sluice.ServiceDefaults.Tests;

/// <summary>
/// A flood of health probes runs the checks at most once per Sluice:Health:CheckCacheDuration,
/// and each Check still reflects a run no older than that.
/// </summary>
public sealed class HealthCheckSharingTests
{
    [Fact]
    public async Task Check_ManyConcurrentCalls_ShareOneRunOfTheChecks()
    {
        var counting = new CountingCheck();
        await using var app = await StartAsync(counting, cacheDuration: "00:00:30");
        using var channel = GrpcChannel.ForAddress(AddressOf(app));
        var health = new Health.HealthClient(channel);
        await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(20));
        var before = counting.Runs;

        var replies = await Task.WhenAll(Enumerable.Range(0, 100).Select(async _ =>
            await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(20))));

        Assert.All(replies, r => Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, r.Status));
        Assert.Equal(before, counting.Runs);
    }

    [Fact]
    public async Task Check_CacheDurationZero_EveryCallRunsTheChecks()
    {
        var counting = new CountingCheck();
        await using var app = await StartAsync(counting, cacheDuration: "00:00:00");
        using var channel = GrpcChannel.ForAddress(AddressOf(app));
        var health = new Health.HealthClient(channel);
        var before = counting.Runs;

        for (var i = 0; i < 5; i++)
        {
            await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(20));
        }

        Assert.True(counting.Runs - before >= 5, $"{counting.Runs - before} runs for 5 calls");
    }

    [Fact]
    public async Task Check_DependencyTurnsUnhealthy_SeenOnceTheCachedRunExpires()
    {
        var counting = new CountingCheck();
        await using var app = await StartAsync(counting, cacheDuration: "00:00:00.200");
        using var channel = GrpcChannel.ForAddress(AddressOf(app));
        var health = new Health.HealthClient(channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(20))).Status);

        counting.Healthy = false;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var status = HealthCheckResponse.Types.ServingStatus.Serving;
        while (status == HealthCheckResponse.Types.ServingStatus.Serving && DateTime.UtcNow < deadline)
        {
            status = (await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(20))).Status;
        }

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, status);
    }

    [Fact]
    public async Task Check_RunBegunWhileStarting_NotSharedOnceTheHostHasStarted()
    {
        var lifetime = new ManualLifetime();
        var inner = new GatedHealthService();
        var service = new CoalescingHealthCheckService(inner, Options.Create(new HealthCheckServiceOptions()),
            Options.Create(new SluiceHealthOptions { CheckCacheDuration = TimeSpan.FromMinutes(1) }), TimeProvider.System, lifetime);
        var duringStart = service.CheckHealthAsync(null);
        await inner.FirstRunBegan.Task.WaitAsync(TimeSpan.FromSeconds(30));

        lifetime.Start();
        inner.Started();
        var afterStart = service.CheckHealthAsync(null);
        inner.Release.TrySetResult();

        Assert.Equal(HealthStatus.Unhealthy, (await duringStart).Status);
        Assert.Equal(HealthStatus.Healthy, (await afterStart).Status);
        Assert.Equal(2, inner.Runs);
    }

    [Fact]
    public async Task Tracing_NoExporterConfigured_Off()
    {
        await using var app = await StartAsync(new CountingCheck(), cacheDuration: "00:00:01");

        Assert.Null(app.Services.GetService<TracerProvider>());
    }

    private static async Task<WebApplication> StartAsync(CountingCheck check, string cacheDuration)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["Sluice:Health:CheckCacheDuration"] = cacheDuration;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(IPAddress.Loopback, 0));
        builder.AddSluiceServiceDefaults();
        builder.Services.AddHealthChecks().AddCheck("counting", check);
        var app = builder.Build();
        app.MapSluiceGrpcDefaults();
        await app.StartAsync();
        return app;
    }

    private static string AddressOf(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    /// <summary>Unhealthy ("starting") for runs begun before <see cref="Started"/>; every run is held until <see cref="Release"/>.</summary>
    private sealed class GatedHealthService : HealthCheckService
    {
        private int _runs;
        private volatile bool _started;

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource FirstRunBegan { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Runs => Volatile.Read(ref _runs);

        public void Started() => _started = true;

        public override async Task<HealthReport> CheckHealthAsync(Func<HealthCheckRegistration, bool>? predicate, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _runs);
            var status = _started ? HealthStatus.Healthy : HealthStatus.Unhealthy; // as of when the run began
            FirstRunBegan.TrySetResult();
            await Release.Task;
            return new HealthReport(new Dictionary<string, HealthReportEntry> { ["host"] = new(status, null, TimeSpan.Zero, null, null) }, TimeSpan.Zero);
        }
    }

    private sealed class ManualLifetime : IHostApplicationLifetime
    {
        private readonly CancellationTokenSource _started = new();

        public CancellationToken ApplicationStarted => _started.Token;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void Start() => _started.Cancel();

        public void StopApplication()
        {
        }
    }

    private sealed class CountingCheck : IHealthCheck
    {
        private int _runs;

        public int Runs => Volatile.Read(ref _runs);

        public volatile bool Healthy = true;

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _runs);
            await Task.Delay(20, cancellationToken); // A dependency round trip.
            return Healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("down");
        }
    }
}
