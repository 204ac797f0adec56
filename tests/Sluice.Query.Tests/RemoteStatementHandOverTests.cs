using Npgsql;
using Sluice.Query.V1;

namespace Sluice.Query.Tests;

/// <summary>
/// A statement on a remote warehouse outlives the query service that submitted it when the state
/// store is durable (PostgreSQL) and the broker too (RabbitMQ): the next service restores it and
/// the saga's re-checks finish it there, without running it again.
/// </summary>
[Collection(RabbitMqBroker.Collection)]
public sealed class RemoteStatementHandOverTests(StateDatabaseFixture database) : IClassFixture<StateDatabaseFixture>, IDisposable
{
    private const long WarehouseLock = 4_242_001;

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "sluice-query-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Restart_WhileTheWarehouseRunsTheStatement_NextServiceFinishesItOnce()
    {
        var databaseName = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database!;
        // The warehouse (a query service on the PostgreSQL engine behind its Data API) runs the
        // statement until the test releases a lock, so it is still running when the service stops.
        await using var warehouse = await QueryHost.StartAsync(new Dictionary<string, string?>
        {
            ["Engine"] = "Postgres",
            ["PostgresConnectionString"] = database.ConnectionString,
            ["DataApiAccessKeys:0:AccessKeyId"] = RedshiftEngineFixture.AccessKeyId,
            ["DataApiAccessKeys:0:SecretAccessKey"] = RedshiftEngineFixture.SecretAccessKey,
            ["DataApiRegion"] = "us-east-1",
        });
        await using var holder = new NpgsqlConnection(database.ConnectionString);
        await holder.OpenAsync();
        await using (var hold = new NpgsqlCommand($"SELECT pg_advisory_lock({WarehouseLock})", holder))
        {
            await hold.ExecuteScalarAsync();
        }
        var settings = RedshiftEngineFixture.RedshiftSettings(warehouse, RedshiftEngineFixture.SecretAccessKey);
        settings["DataDirectory"] = _dataDirectory;
        var configuration = new Dictionary<string, string?>(RabbitMqBroker.BusConfiguration().Concat(database.Settings()));
        var name = "handover-" + Guid.NewGuid().ToString("N")[..8];
        string id;

        await using (var first = await QueryHost.StartAsync(settings, configuration))
        {
            id = (await first.Client.ExecuteStatementAsync(new ExecuteStatementRequest
            {
                Database = databaseName, Sql = $"SELECT 7 AS answer FROM (SELECT pg_advisory_xact_lock({WarehouseLock})) AS waited", StatementName = name,
            })).Id;
            await first.Client.WaitForStatusAsync(id, StatementStatus.Started);
        }
        await using var second = await QueryHost.StartAsync(settings, configuration);
        var restored = await second.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id });
        // The warehouse's statement can finish now (closing would keep the lock: the pool keeps the session).
        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({WarehouseLock})", holder))
        {
            Assert.True((bool)(await release.ExecuteScalarAsync())!);
        }
        var end = await second.Client.WaitForEndAsync(id);
        var (records, _, total) = await second.Client.ReadAllPagesAsync(id);

        Assert.Equal(StatementStatus.Started, restored.Status);
        Assert.True(end.Status == StatementStatus.Finished, $"Ended {end.Status}: {end.Error}");
        Assert.Equal(1, total);
        Assert.Equal(7, Assert.Single(records).Fields[0].LongValue);
        // Run once on the warehouse: not cancelled by the stop, not submitted again by the restart.
        var remote = Assert.Single((await warehouse.Client.ListStatementsAsync(new ListStatementsRequest { StatementName = name, RoleLevel = true })).Statements);
        Assert.Equal(StatementStatus.Finished, remote.Status);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A result file still open; the temp folder is cleaned by the OS.
        }
    }
}
