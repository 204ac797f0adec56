using Grpc.Health.V1;
using Grpc.Net.Client;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Sluice.Query.Tests;

/// <summary>grpc.health.v1 for the query service follows its warehouse.</summary>
public sealed class WarehouseHealthTests
{
    private const string Service = "sluice.query.v1.QueryService";

    [Fact]
    public async Task Check_PostgresReachable_Serving()
    {
        // The configured database is not "dev": reaching the server is what the check tests.
        await using var host = await QueryHost.StartAsync(new Dictionary<string, string?>
        {
            ["Engine"] = "Postgres",
            ["PostgresConnectionString"] = PostgresEngineFixture.ServerConnectionString,
        });

        Assert.Equal(ServingStatus.Serving, await CheckAsync(host));
    }

    [Fact]
    public async Task Check_PostgresUnreachable_NotServing()
    {
        await using var host = await QueryHost.StartAsync(new Dictionary<string, string?>
        {
            ["Engine"] = "Postgres",
            ["PostgresConnectionString"] = "Host=127.0.0.1;Port=9;Username=nobody;Password=none;Database=nothing;Timeout=2",
        });

        Assert.Equal(ServingStatus.NotServing, await CheckAsync(host));
    }

    private static async Task<ServingStatus> CheckAsync(QueryHost host)
    {
        using var channel = GrpcChannel.ForAddress(host.GrpcAddress);
        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = Service }, deadline: DateTime.UtcNow.AddSeconds(30));
        return reply.Status;
    }
}
