using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Sluice.Host.Tests;

/// <summary>
/// The all-in-one host's services call each other over gRPC on their own listeners, whose ports
/// (0 here) are chosen only when the host binds them.
/// </summary>
public sealed class ServiceClientTests
{
    [Fact]
    public async Task ServiceClients_CreatedBeforeTheHostBindsItsPorts_ReachTheirServicesOnceStarted()
    {
        // A health run begun before the host starts creates the gateway's backend clients then.
        // Grpc.Net.ClientFactory keeps a client name's channel for the host's life, so these
        // early channels must still find the ports the listeners get later. The run may wait
        // for the start: its timeout is long.
        Task<HealthReport>? early = null;
        await using var host = await HostUnderTest.StartAsync(["--Sluice:Health:Timeout=00:01:00"], app =>
            early = app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(check => check.Name == "backends"));

        var report = await early!.WaitAsync(TimeSpan.FromMinutes(2));
        var whole = await new Health.HealthClient(host.ChannelTo("Gateway")).CheckAsync(new HealthCheckRequest(), deadline: HostUnderTest.Deadline);

        var backends = Assert.Single(report.Entries).Value;
        Assert.True(backends.Status == HealthStatus.Healthy, $"The early run found the backends {backends.Status}: {backends.Description}");
        Assert.Equal(ServingStatus.Serving, whole.Status);
    }
}
