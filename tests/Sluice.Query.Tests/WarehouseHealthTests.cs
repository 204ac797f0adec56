using Grpc.Health.V1;
using Grpc.Net.Client;
using Npgsql;
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

    internal static async Task<ServingStatus> CheckAsync(QueryHost host)
    {
        using var channel = GrpcChannel.ForAddress(host.GrpcAddress);
        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = Service }, deadline: DateTime.UtcNow.AddSeconds(30));
        return reply.Status;
    }
}

/// <summary>grpc.health.v1 for the query service follows its state database too, when it has one.</summary>
public sealed class StateDatabaseHealthTests(StateDatabaseFixture database) : IClassFixture<StateDatabaseFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Check_StateDatabaseRefusingConnections_NotServingUntilItAcceptsThemAgain()
    {
        await using var host = await QueryHost.StartAsync(new Dictionary<string, string?>(), database.Settings());
        Assert.Equal(ServingStatus.Serving, await WarehouseHealthTests.CheckAsync(host));

        await AllowConnectionsAsync(false);
        try
        {
            await WaitForStatusAsync(host, ServingStatus.NotServing);
        }
        finally
        {
            await AllowConnectionsAsync(true);
        }
        await WaitForStatusAsync(host, ServingStatus.Serving);
    }

    private static async Task WaitForStatusAsync(QueryHost host, ServingStatus expected)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        ServingStatus status;
        while ((status = await WarehouseHealthTests.CheckAsync(host)) != expected)
        {
            Assert.False(timeout.IsCancellationRequested, $"The query service stayed {status} for {Timeout.TotalSeconds} s, expected {expected}.");
            await Task.Delay(100);
        }
    }

    /// <summary>Lets the state database accept connections or not; refusing also ends the ones the service's pool holds.</summary>
    private async Task AllowConnectionsAsync(bool allow)
    {
        var name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database;
        await using var admin = new NpgsqlConnection(TestPostgresDatabase.ServerConnectionString);
        await admin.OpenAsync();
        await using var alter = new NpgsqlCommand($"ALTER DATABASE {name} ALLOW_CONNECTIONS {(allow ? "true" : "false")}", admin);
        await alter.ExecuteNonQueryAsync();
        if (!allow)
        {
            await using var terminate = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1", admin)
            {
                Parameters = { new() { Value = name! } },
            };
            await terminate.ExecuteScalarAsync();
        }
    }
}
