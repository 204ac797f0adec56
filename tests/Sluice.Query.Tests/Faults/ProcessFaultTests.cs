using Grpc.Core;
using Npgsql;
using Sluice.Contracts.Messages;
using Sluice.Query.V1;
using Xunit.Abstractions;

namespace Sluice.Query.Tests.Faults;

/// <summary>
/// Faults dealt to real processes: the query service runs as its own process on a RabbitMQ node of
/// these tests' own, with its state in a fresh PostgreSQL database; statements are submitted by
/// message, and a subscriber in the test process counts every end event, dropping republished
/// message ids as a consumer's inbox would (the count is reported).
/// </summary>
public sealed class ProcessFaultTests(PrivateRabbitMq broker, ITestOutputHelper output) : IClassFixture<PrivateRabbitMq>, IAsyncLifetime
{
    private static readonly TimeSpan EndTimeout = TimeSpan.FromMinutes(3);
    private readonly string _logDirectory = Directory.CreateTempSubdirectory("sluice-faults-").FullName;
    private TestPostgresDatabase _state = null!;

    public async Task InitializeAsync() => _state = await TestPostgresDatabase.CreateAsync("sluice_faults_");

    public async Task DisposeAsync() => await _state.DisposeAsync();

    /// <summary>
    /// SIGKILL while statements run (pg_sleep), wait for a slot, and are still arriving, with their
    /// sagas waiting; then a new process on the same state. Every statement ends once, truthfully
    /// (finished, or failed saying the service stopped while it was in its state), every saga
    /// completes, and the new process describes each statement as its event said.
    /// </summary>
    [Fact]
    public async Task SigKill_WhileStatementsRunAndSagasWait_EveryStatementEndsOnceTruthfullyAndEverySagaCompletes()
    {
        await using var subscriber = await EndEventSubscriber.StartAsync(broker.Uri);
        var slow = NewIds(8);
        var arriving = NewIds(8);
        var all = slow.Concat(arriving).ToList();
        List<string> running, waiting;

        await using (var first = await StartServiceAsync("first"))
        {
            foreach (var id in slow)
            {
                await subscriber.Bus.Publish(Submit(id, "SELECT pg_sleep(600)"));
            }
            // Four execution slots: four run, four wait (which ones is the consumer's order).
            (running, waiting) = await RunningAndWaitingAsync(first, slow);
            // Quick ones, sent right before the kill: some are taken, some still on the broker.
            foreach (var id in arriving)
            {
                await subscriber.Bus.Publish(Submit(id, "SELECT 1 AS one"));
            }
            await first.KillAsync();
        }

        await using var second = await StartServiceAsync("second");
        await subscriber.WaitForEndsAsync(all, EndTimeout);
        await WaitForNoSagaAsync(all);
        await subscriber.CatchUpAsync(EndTimeout);

        foreach (var id in all)
        {
            var end = Assert.Single(subscriber.EndsOf(id));
            var described = await second.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id });
            Assert.Equal(end.Status, Statements.StatementManager.StatusName(described.Status));
            if (end.Status == "FAILED")
            {
                Assert.Contains("The query service stopped while the statement was", end.Reason);
            }
            else
            {
                Assert.Equal("FINISHED", end.Status);
            }
        }
        foreach (var id in running)
        {
            Assert.Contains("while the statement was STARTED", Assert.Single(subscriber.EndsOf(id)).Reason);
        }
        foreach (var id in waiting)
        {
            Assert.Contains("while the statement was SUBMITTED", Assert.Single(subscriber.EndsOf(id)).Reason);
        }
        output.WriteLine($"SIGKILL: {all.Count} statements, {subscriber.DuplicatesDropped} republished end events dropped by the subscriber's dedupe.");
    }

    /// <summary>
    /// The broker stops and starts again while a burst of 1,000 SubmitStatement commands is being
    /// worked through: every statement finishes, and its end reaches the subscriber once.
    /// </summary>
    [Fact]
    public async Task RabbitMqRestart_DuringABurstOf1000SubmitStatements_All1000Complete()
    {
        // A durable queue: the subscriber's events wait in it through the broker's restart.
        await using var subscriber = await EndEventSubscriber.StartAsync(broker.Uri, "sluice-faults-burst-" + Guid.NewGuid().ToString("N")[..8]);
        await using var service = await StartServiceAsync("burst");
        var ids = NewIds(1000);

        foreach (var chunk in ids.Chunk(100))
        {
            await Task.WhenAll(chunk.Select(id => subscriber.Bus.Publish(Submit(id, "SELECT 1 AS one"))));
        }
        using (var started = new CancellationTokenSource(EndTimeout))
        {
            while (subscriber.EndedOf(ids) < 50)
            {
                Assert.False(started.IsCancellationRequested, $"Only {subscriber.EndedOf(ids)} statements ended before the broker restart.");
                await Task.Delay(50);
            }
        }
        var endedBefore = subscriber.EndedOf(ids);
        await broker.StopAsync();
        await broker.StartAsync();

        await subscriber.WaitForEndsAsync(ids, EndTimeout);
        await subscriber.CatchUpAsync(EndTimeout);
        Assert.All(ids, id => Assert.Equal("FINISHED", Assert.Single(subscriber.EndsOf(id)).Status));
        output.WriteLine($"RabbitMQ restart: {endedBefore} of 1000 had ended before the restart; {subscriber.DuplicatesDropped} republished end events dropped by the subscriber's dedupe.");
    }

    /// <summary>
    /// The state database (a private PostgreSQL cluster) restarts while accepted statements run:
    /// the service reconnects, and every statement accepted before the failure finishes, is stored
    /// so, and has its end event delivered once; a statement refused during the outage is refused
    /// UNAVAILABLE, naming the state store, never accepted and lost.
    /// </summary>
    [Fact]
    public async Task PostgresRestart_MidRun_ServiceReconnectsAndNoAcceptedStatementIsLost()
    {
        var state = new PrivatePostgres();
        await state.InitializeAsync();
        try
        {
            await using var subscriber = await EndEventSubscriber.StartAsync(broker.Uri);
            await using var service = await StartServiceAsync("postgres-restart", state.ConnectionString, engine: "DuckDb");
            var accepted = new List<string>();
            for (var i = 0; i < 20; i++)
            {
                // Half of them long enough to be running when the database goes.
                var sql = i % 2 == 0 ? "SELECT 1 AS one" : "SELECT count(*) AS n FROM range(20000000)";
                accepted.Add((await service.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = sql, WithEvent = true })).Id);
            }

            await state.StopAsync();
            var refused = await Assert.ThrowsAsync<RpcException>(async () =>
                await service.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT 2 AS during_the_outage", WithEvent = true }));
            await state.StartAsync();

            Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
            Assert.Contains("Sluice:Query:State", refused.Status.Detail);
            await subscriber.WaitForEndsAsync(accepted, EndTimeout);
            await subscriber.CatchUpAsync(EndTimeout);
            foreach (var id in accepted)
            {
                Assert.Equal("FINISHED", Assert.Single(subscriber.EndsOf(id)).Status);
            }
            // And so the database says: a restarted service would find every one of them finished.
            await using var connection = new NpgsqlConnection(state.ConnectionString);
            await connection.OpenAsync();
            await using var stored = new NpgsqlCommand("SELECT count(*) FROM sluice_query.statements WHERE id = ANY($1) AND status = 'FINISHED'", connection)
            {
                Parameters = { new() { Value = accepted.ToArray() } },
            };
            Assert.Equal(accepted.Count, (long)(await stored.ExecuteScalarAsync())!);
            output.WriteLine($"PostgreSQL restart: {accepted.Count} statements, {subscriber.DuplicatesDropped} republished end events dropped by the subscriber's dedupe.");
        }
        finally
        {
            await state.DisposeAsync();
        }
    }

    private Task<QueryProcess> StartServiceAsync(string name) => StartServiceAsync(name, _state.ConnectionString, engine: "Postgres");

    private Task<QueryProcess> StartServiceAsync(string name, string stateConnectionString, string engine) => QueryProcess.StartAsync(new Dictionary<string, string>
    {
        ["Sluice:Broker:Transport"] = "RabbitMq",
        ["Sluice:Broker:RabbitMqUri"] = broker.Uri,
        ["Sluice:Query:Engine"] = engine,
        ["Sluice:Query:PostgresConnectionString"] = stateConnectionString,
        ["Sluice:Query:State:Store"] = "Postgres",
        ["Sluice:Query:State:ConnectionString"] = stateConnectionString,
        ["Sluice:Query:DataDirectory"] = Path.Combine(_logDirectory, "data"),
        ["Sluice:Query:MaxConcurrentStatements"] = "4",
        ["Sluice:Query:MaxActiveStatementsPerCaller"] = "2000",
    }, Path.Combine(_logDirectory, name + ".log"));

    /// <summary>Waits until every statement is known and all execution slots are taken; returns the STARTED ones and the SUBMITTED ones.</summary>
    private static async Task<(List<string> Running, List<string> Waiting)> RunningAndWaitingAsync(QueryProcess service, IReadOnlyList<string> ids)
    {
        using var timeout = new CancellationTokenSource(EndTimeout);
        while (true)
        {
            var statuses = new Dictionary<string, StatementStatus>();
            foreach (var id in ids)
            {
                try
                {
                    statuses[id] = (await service.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id })).Status;
                }
                catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound)
                {
                    // Not taken from the broker yet.
                }
            }
            var running = statuses.Where(s => s.Value == StatementStatus.Started).Select(s => s.Key).ToList();
            var waiting = statuses.Where(s => s.Value == StatementStatus.Submitted).Select(s => s.Key).ToList();
            if (running.Count == 4 && waiting.Count == ids.Count - 4)
            {
                return (running, waiting);
            }
            Assert.False(timeout.IsCancellationRequested,
                $"Within {EndTimeout.TotalMinutes} minutes the service did not reach 4 running and {ids.Count - 4} waiting statements: {string.Join(", ", statuses.Values)}.");
            await Task.Delay(100);
        }
    }

    private SubmitStatement Submit(string id, string sql) => new() { StatementId = id, Database = _state.Name, Sql = sql, StatementName = "fault-test" };

    private static List<string> NewIds(int count) => Enumerable.Range(0, count).Select(_ => Guid.NewGuid().ToString()).ToList();

    /// <summary>Waits until the saga of every statement has completed (a finalized instance is removed).</summary>
    private async Task WaitForNoSagaAsync(IReadOnlyCollection<string> ids)
    {
        using var timeout = new CancellationTokenSource(EndTimeout);
        var correlations = ids.Select(Guid.Parse).ToArray();
        while (true)
        {
            await using var connection = new NpgsqlConnection(_state.ConnectionString);
            await connection.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM sluice_query.saga_instances WHERE correlation_id = ANY($1)", connection)
            {
                Parameters = { new() { Value = correlations } },
            };
            var left = (long)(await count.ExecuteScalarAsync())!;
            if (left == 0)
            {
                return;
            }
            Assert.False(timeout.IsCancellationRequested, $"{left} of {ids.Count} statement sagas had not completed within {EndTimeout.TotalMinutes} minutes.");
            await Task.Delay(100);
        }
    }
}
