using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Sluice.ServiceDefaults.Tests;

/// <summary>
/// grpc.health.v1 follows the broker: a host on RabbitMQ (its own vhost, reached through a relay
/// the test can cut) is SERVING, goes NOT_SERVING when the broker goes away and comes back to
/// SERVING once the bus has reconnected, as a Watch caller sees it.
/// </summary>
public sealed class BrokerHealthTests
{
    private static readonly TimeSpan Transition = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Watch_BrokerGoesAwayAndComesBack_NotServingThenServing()
    {
        var broker = new Uri(Environment.GetEnvironmentVariable("SLUICE_TEST_RABBITMQ_ISOLATED") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("SLUICE_TEST_RABBITMQ_ISOLATED is not set: start the servers with `bash deploy/test-servers.sh start` and `eval \"$(bash deploy/test-servers.sh env)\"`, or run `bash tests/run.sh`."));
        await using var relay = new LoopbackTcpProxy(new IPEndPoint(IPAddress.Loopback, broker.Port));
        var relayed = new UriBuilder(broker) { Port = relay.Port }.Uri;
        await using var host = await HostUnderTest.StartAsync(
            ["--Sluice:Broker:Transport=RabbitMq", $"--Sluice:Broker:RabbitMqUri={relayed}", "--Sluice:Health:Period=00:00:01"]);
        var health = new Health.HealthClient(host.ChannelTo("Validation"));
        using var watchTimeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        using var watch = health.Watch(new HealthCheckRequest { Service = "sluice.validation.v1.ValidationService" }, cancellationToken: watchTimeout.Token);

        await NextStatusAsync(watch, ServingStatus.Serving, () => ReadinessAsync(host));
        relay.Cut();
        await NextStatusAsync(watch, ServingStatus.NotServing, () => ReadinessAsync(host));
        relay.Restore();
        await NextStatusAsync(watch, ServingStatus.Serving, () => ReadinessAsync(host));

        // The query service, on the same bus, answers SERVING again too. Asked with Check: a Watch
        // opened now would start from a fresh run that may predate the reconnection, and then
        // hear nothing until the published status changes again.
        var query = new Health.HealthClient(host.ChannelTo("Query"));
        var deadline = DateTime.UtcNow + Transition;
        var status = ServingStatus.Unknown;
        while (DateTime.UtcNow < deadline)
        {
            status = (await query.CheckAsync(new HealthCheckRequest { Service = "sluice.query.v1.QueryService" }, deadline: DateTime.UtcNow.AddSeconds(30))).Status;
            if (status == ServingStatus.Serving)
            {
                break;
            }
            await Task.Delay(200);
        }
        Assert.True(status == ServingStatus.Serving, $"The query service is {status} after the broker came back. Readiness: {await ReadinessAsync(host)}");
    }

    /// <summary>Reads the Watch stream until it reports <paramref name="expected"/>, within <see cref="Transition"/>.</summary>
    private static async Task NextStatusAsync(AsyncServerStreamingCall<HealthCheckResponse> watch, ServingStatus expected, Func<Task<string>>? diagnostics = null)
    {
        using var timer = new CancellationTokenSource(Transition);
        var seen = new List<ServingStatus>();
        try
        {
            while (await watch.ResponseStream.MoveNext(timer.Token))
            {
                seen.Add(watch.ResponseStream.Current.Status);
                if (watch.ResponseStream.Current.Status == expected)
                {
                    return;
                }
            }
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.Cancelled && timer.IsCancellationRequested)
        {
            // Fall through to the failure below.
        }
        var detail = diagnostics is null ? "" : " Readiness: " + await diagnostics();
        Assert.Fail($"Watch did not report {expected} within {Transition.TotalSeconds} s; it reported [{string.Join(", ", seen)}].{detail}");
    }

    /// <summary>The admin listener's /readyz: which check is failing.</summary>
    private static async Task<string> ReadinessAsync(HostUnderTest host)
    {
        using var response = await host.GetAdminAsync("/readyz");
        return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
    }
}
