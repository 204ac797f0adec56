using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;
using Sluice.Query.V1;

namespace Sluice.Query.Tests.Faults;

/// <summary>
/// A query service stopped while statements run (PostgreSQL engine, durable state, RabbitMQ):
/// admission closes at once, a statement that can end within the drain finishes, the rest are
/// aborted with the reason, a subscriber hears the end of every one, and the next service
/// describes them as the events said.
/// </summary>
[Collection(RabbitMqBroker.Collection)]
public sealed class GracefulStopTests(StateDatabaseFixture state) : IClassFixture<StateDatabaseFixture>
{
    private Dictionary<string, string?> Settings() => new(IEngineFixture.CommonSettings())
    {
        ["Engine"] = "Postgres",
        ["PostgresConnectionString"] = TestPostgresDatabase.ServerConnectionString,
        ["MaxConcurrentStatements"] = "3",
        ["MaxActiveStatementsPerCaller"] = "1000",
        ["ShutdownDrain"] = "00:00:10",
    };

    private Task<QueryHost> StartAsync() =>
        QueryHost.StartAsync(Settings(), new Dictionary<string, string?>(RabbitMqBroker.BusConfiguration().Concat(state.Settings())));

    [Fact]
    public async Task Stop_WhileStatementsRun_EveryEndIsPublishedAndStoredTruthfully()
    {
        var database = new NpgsqlConnectionStringBuilder(state.ConnectionString).Database!;
        var lockKey = Random.Shared.NextInt64(1, long.MaxValue);
        await using var subscriber = await EndEventSubscriber.StartAsync(RabbitMqBroker.Uri);
        // The test holds an advisory lock: the "releasable" statement waits on it until the stop has begun.
        await using var holder = new NpgsqlConnection(state.ConnectionString);
        await holder.OpenAsync();
        await ExecuteAsync(holder, $"SELECT pg_advisory_lock({lockKey})");

        var host = await StartAsync();
        string releasable, endless1, endless2, next, queued;
        try
        {
            releasable = await SubmitAsync(host, database, $"SELECT pg_advisory_xact_lock({lockKey}) IS NULL AS got_it");
            endless1 = await SubmitAsync(host, database, "SELECT pg_sleep(600)");
            endless2 = await SubmitAsync(host, database, "SELECT pg_sleep(600)");
            // Three execution slots: these wait as SUBMITTED. The first takes the slot the releasable
            // one frees during the drain; the other is still waiting when the drain ends.
            next = await SubmitAsync(host, database, "SELECT pg_sleep(600)");
            queued = await SubmitAsync(host, database, "SELECT 1 AS never_ran");
            foreach (var id in new[] { releasable, endless1, endless2 })
            {
                Assert.Equal(StatementStatus.Started, (await host.Client.WaitForStatusAsync(id, StatementStatus.Started)).Status);
            }
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        // A channel of the test's own: the host's is closed as its stop begins.
        using var channel = GrpcChannel.ForAddress(host.GrpcAddress);
        var stopping = host.DisposeAsync().AsTask();
        var refusal = await RefusedWhileStoppingAsync(new QueryService.QueryServiceClient(channel), database);
        await ExecuteAsync(holder, $"SELECT pg_advisory_unlock({lockKey})");
        await stopping;

        Assert.Equal(StatusCode.Unavailable, refusal.StatusCode);
        Assert.Contains("stopping", refusal.Status.Detail);
        var all = new[] { releasable, endless1, endless2, next, queued };
        // Published while the bus still ran: the subscriber hears every end (it may arrive a moment after the stop).
        await subscriber.WaitForEndsAsync(all, TimeSpan.FromSeconds(30));
        Assert.All(all, id => Assert.Single(subscriber.EndsOf(id)));
        Assert.Equal("FINISHED", subscriber.EndsOf(releasable)[0].Status);
        foreach (var id in new[] { endless1, endless2, next })
        {
            Assert.Equal("ABORTED", subscriber.EndsOf(id)[0].Status);
            Assert.Contains("was still running when the shutdown drain of 00:00:10 (Sluice:Query:ShutdownDrain) ended", subscriber.EndsOf(id)[0].Reason);
        }
        Assert.Equal("ABORTED", subscriber.EndsOf(queued)[0].Status);
        Assert.Contains("was still waiting to run", subscriber.EndsOf(queued)[0].Reason);

        await using var after = await StartAsync();
        foreach (var id in all)
        {
            var described = await after.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id });
            var end = subscriber.EndsOf(id)[0];
            Assert.Equal(end.Status, Statements.StatementManager.StatusName(described.Status));
            Assert.Equal(end.Reason ?? "", described.Error);
        }
    }

    /// <summary>Submits with WithEvent, so the end is published as a public event.</summary>
    private static async Task<string> SubmitAsync(QueryHost host, string database, string sql) =>
        (await host.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = database, Sql = sql, WithEvent = true })).Id;

    /// <summary>Submits until the stopping service refuses (it accepts until the stop reaches it); nothing submitted here may be accepted.</summary>
    private static async Task<RpcException> RefusedWhileStoppingAsync(QueryService.QueryServiceClient client, string database)
    {
        using var timeout = new CancellationTokenSource(StatementWaits.Timeout);
        while (true)
        {
            try
            {
                await client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = database, Sql = "SELECT 2 AS before_the_stop" },
                    cancellationToken: timeout.Token);
                // Accepted before the stop closed admission: it ends like the others; ask again.
                await Task.Delay(20, timeout.Token);
            }
            catch (RpcException exception) when (exception.StatusCode != StatusCode.Cancelled)
            {
                return exception;
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
