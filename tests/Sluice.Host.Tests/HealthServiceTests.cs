using Grpc.Core;
using Grpc.Health.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Sluice.Host.Tests;

/// <summary>grpc.health.v1 on the host's listeners: the host as a whole under "" and each service under its full name.</summary>
public sealed class HealthServiceTests(SharedHost fixture) : IClassFixture<SharedHost>
{
    private HostUnderTest Host => fixture.Host;

    [Theory]
    [InlineData("Query", "")]
    [InlineData("Query", "sluice.query.v1.QueryService")]
    [InlineData("Validation", "")]
    [InlineData("Validation", "sluice.validation.v1.ValidationService")]
    [InlineData("Gateway", "")]
    [InlineData("Ingestion", "")]
    public async Task Check_ServiceOnItsListener_Serving(string listener, string service)
    {
        var health = new Health.HealthClient(Host.ChannelTo(listener));

        var response = await health.CheckAsync(new HealthCheckRequest { Service = service }, deadline: HostUnderTest.Deadline);

        Assert.Equal(ServingStatus.Serving, response.Status);
    }

    [Theory]
    [InlineData("Query")]
    [InlineData("Validation")]
    public async Task Check_UnknownServiceName_NotFound(string listener)
    {
        var health = new Health.HealthClient(Host.ChannelTo(listener));

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await health.CheckAsync(new HealthCheckRequest { Service = "sluice.nothing.v1.Nothing" }, deadline: HostUnderTest.Deadline));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Theory]
    [InlineData("Validation", "sluice.query.v1.QueryService")]
    [InlineData("Gateway", "sluice.query.v1.QueryService")]
    [InlineData("Query", "sluice.validation.v1.ValidationService")]
    public async Task Check_ServiceOfAnotherListener_NotFound(string listener, string service)
    {
        var health = new Health.HealthClient(Host.ChannelTo(listener));

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await health.CheckAsync(new HealthCheckRequest { Service = service }, deadline: HostUnderTest.Deadline));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains(service, error.Status.Detail);
    }

    [Fact]
    public async Task Watch_ServiceOfAnotherListener_ServiceUnknown()
    {
        var health = new Health.HealthClient(Host.ChannelTo("Validation"));
        using var call = health.Watch(new HealthCheckRequest { Service = "sluice.query.v1.QueryService" }, deadline: HostUnderTest.Deadline);

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(ServingStatus.ServiceUnknown, call.ResponseStream.Current.Status);
    }

    [Theory]
    [InlineData("Query", "sluice.query.v1.QueryService")]
    [InlineData("Validation", "sluice.validation.v1.ValidationService")]
    public async Task Watch_ServiceOnItsListener_HearsServing(string listener, string service)
    {
        var health = new Health.HealthClient(Host.ChannelTo(listener));
        using var call = health.Watch(new HealthCheckRequest { Service = service }, deadline: HostUnderTest.Deadline);
        var heard = new List<ServingStatus>();

        // The first answer may come before the first round of checks (SERVICE_UNKNOWN); SERVING follows.
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            heard.Add(call.ResponseStream.Current.Status);
            if (call.ResponseStream.Current.Status == ServingStatus.Serving)
            {
                break;
            }
        }

        Assert.Equal(ServingStatus.Serving, heard.LastOrDefault());
        Assert.DoesNotContain(ServingStatus.NotServing, heard);
    }
}

/// <summary>Health driven by a real condition: the gateway cannot reach one of its backends.</summary>
public sealed class UnreachableBackendTests
{
    [Fact]
    public async Task Health_QueryBackendUnreachable_HostNotServingAndNotReadyWhileQueryItselfServes()
    {
        // Nothing listens on a port just freed: the gateway's Query client finds no one there.
        var deadPort = FreeTcpPort();
        await using var host = await HostUnderTest.StartAsync([$"--Sluice:Services:Query:Address=http://127.0.0.1:{deadPort}"]);

        var whole = await new Health.HealthClient(host.ChannelTo("Gateway")).CheckAsync(new HealthCheckRequest(), deadline: HostUnderTest.Deadline);
        var query = await new Health.HealthClient(host.ChannelTo("Query")).CheckAsync(new HealthCheckRequest { Service = "sluice.query.v1.QueryService" }, deadline: HostUnderTest.Deadline);
        using var ready = await host.GetAdminAsync("/readyz");
        var readyBody = await ready.Content.ReadAsStringAsync();

        Assert.Equal(ServingStatus.NotServing, whole.Status);
        Assert.Equal(ServingStatus.Serving, query.Status);
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var backends = Assert.Single(readyBody.Split('\n'), line => line.StartsWith("backends: ", StringComparison.Ordinal));
        Assert.StartsWith("backends: Unhealthy", backends, StringComparison.Ordinal);
        Assert.Contains("Query", backends, StringComparison.Ordinal);
    }

    private static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
