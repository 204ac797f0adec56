using System.Diagnostics;
using Grpc.Core;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sluice.Contracts.Messages;
using Sluice.Query.V1;
using Record = Sluice.Query.V1.Record;

namespace Sluice.Query.Tests.Replicas;

/// <summary>
/// Two query service replicas (two hosts in this process, each with its own ports and data
/// directory) on one state database (SLUICE_TEST_POSTGRES), one broker (SLUICE_TEST_RABBITMQ) and
/// one object store. Both run statements on the same PostgreSQL warehouse (the state database),
/// so a statement run twice would show there.
/// </summary>
[Collection(RabbitMqBroker.Collection)]
public sealed class QueryReplicaTests(StateDatabaseFixture database) : IClassFixture<StateDatabaseFixture>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private readonly string _objects = Path.Combine(Path.GetTempPath(), "sluice-query-tests", "objects-" + Guid.NewGuid().ToString("N"));

    private string Warehouse => new NpgsqlConnectionStringBuilder(database.ConnectionString).Database!;

    [Fact]
    public async Task ExecuteStatement_OnReplicaA_DescribeResultsListAndWatchAnswerTheSameOnReplicaB()
    {
        await using var a = await StartReplicaAsync();
        await using var b = await StartReplicaAsync();
        var name = "replica-read-" + Guid.NewGuid().ToString("N")[..8];

        var id = (await a.Client.ExecuteStatementAsync(new ExecuteStatementRequest
        {
            Database = Warehouse, Sql = "SELECT g AS n, 'row ' || g AS label FROM generate_series(1, 10) AS g ORDER BY g", StatementName = name,
        })).Id;
        var onA = await a.Client.WaitForEndAsync(id);
        var watchedOnB = await b.Client.WatchToEndAsync(id);
        var describedOnB = await b.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id });
        var pagesOnA = await a.Client.ReadAllPagesAsync(id);
        var pagesOnB = await b.Client.ReadAllPagesAsync(id);
        var listedOnB = await b.Client.ListStatementsAsync(new ListStatementsRequest { StatementName = name });

        Assert.Equal(StatementStatus.Finished, onA.Status);
        Assert.Equal(StatementStatus.Finished, watchedOnB[^1].Status);
        Assert.Equal(onA.Id, describedOnB.Id);
        Assert.Equal(onA.Status, describedOnB.Status);
        Assert.Equal(onA.ResultRows, describedOnB.ResultRows);
        Assert.Equal(onA.ResultSize, describedOnB.ResultSize);
        Assert.Equal(onA.QueryString, describedOnB.QueryString);
        Assert.Equal(10, pagesOnB.Total);
        Assert.Equal(4, pagesOnB.Pages); // ResultPageRows is 3.
        Assert.Equal(Enumerable.Range(1, 10).Select(n => "row " + n), pagesOnB.Records.Select(r => r.Fields[1].StringValue));
        Assert.Equal(pagesOnA.Records, pagesOnB.Records);
        Assert.Equal(id, Assert.Single(listedOnB.Statements).Id);
        // B read the copy A shared through the object store, not A's directory.
        Assert.Single(Directory.GetFiles(Path.Combine(_objects, "query-results"), id + ".batches"));
    }

    [Fact]
    public async Task StreamStatementResult_OnReplicaB_WaitsForTheStatementRunningOnAThenStreamsIt()
    {
        await using var a = await StartReplicaAsync();
        await using var b = await StartReplicaAsync();
        var lockKey = Random.Shared.NextInt64(1, long.MaxValue);
        await using var holder = await OpenWarehouseAsync();
        await ExecuteAsync(holder, $"SELECT pg_advisory_lock({lockKey})");

        var id = (await a.Client.ExecuteStatementAsync(new ExecuteStatementRequest
        {
            Database = Warehouse, Sql = $"SELECT g AS n FROM (SELECT pg_advisory_xact_lock({lockKey})) AS waited, generate_series(1, 8) AS g ORDER BY g",
        })).Id;
        await a.Client.WaitForStatusAsync(id, StatementStatus.Started);
        using var deadline = new CancellationTokenSource(Timeout);
        using var stream = b.Client.StreamStatementResult(new StreamStatementResultRequest { Id = id }, cancellationToken: deadline.Token);
        var reading = ReadStreamAsync(stream, deadline.Token);
        // B reads A's writes to the store, which may lag A's own state: wait until B sees it started. It cannot have
        // ended, since the lock is still held; B's stream is still waiting.
        await b.Client.WaitForStatusAsync(id, StatementStatus.Started);
        var runningOnB = await b.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id });
        await ExecuteAsync(holder, $"SELECT pg_advisory_unlock({lockKey})");
        var (metadata, records) = await reading;

        Assert.Equal(StatementStatus.Started, runningOnB.Status);
        Assert.False(reading.IsFaulted);
        Assert.Equal(8, metadata.TotalNumRows);
        Assert.Equal(Enumerable.Range(1, 8).Select(n => (long)n), records.Select(r => r.Fields[0].LongValue));
    }

    [Fact]
    public async Task CancelStatement_OnReplicaB_AbortsTheStatementRunningOnA()
    {
        await using var a = await StartReplicaAsync();
        await using var b = await StartReplicaAsync();
        var id = (await a.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = Warehouse, Sql = "SELECT pg_sleep(300)" })).Id;
        await a.Client.WaitForStatusAsync(id, StatementStatus.Started);

        var cancelled = await b.Client.CancelStatementAsync(new CancelStatementRequest { Id = id });
        var endOnA = await a.Client.WaitForEndAsync(id);
        var endOnB = await b.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id });
        var again = await b.Client.CancelStatementAsync(new CancelStatementRequest { Id = id });

        Assert.True(cancelled.Status);
        Assert.Equal(StatementStatus.Aborted, endOnA.Status);
        Assert.Equal(StatementStatus.Aborted, endOnB.Status);
        Assert.Contains("cancelled by the user", endOnB.Error);
        Assert.False(again.Status); // Already ended: nothing to cancel.
        // The warehouse stopped the query too: no session sleeps any more.
        await using var warehouse = await OpenWarehouseAsync();
        Assert.Equal(0L, await ScalarAsync<long>(warehouse, "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(300)' AND state = 'active'"));
    }

    /// <summary>
    /// 200 SubmitStatement commands, each sent twice with one message id (a redelivery the broker
    /// may hand to either replica): each statement inserts its id into a table whose key is the
    /// statement id, so a second run would fail on the key, and each runs exactly once. Every one
    /// of the 400 deliveries is handled, and none is refused (the inbox in PostgreSQL drops the
    /// second delivery on either replica, so no StatementFailed is published for a statement that runs).
    /// </summary>
    [Fact]
    public async Task SubmitStatement_200CommandsEachDeliveredTwiceToTwoReplicas_EachRunsOnce()
    {
        const int Count = 200;
        var table = "replica_runs_" + Guid.NewGuid().ToString("N")[..8];
        await using (var warehouse = await OpenWarehouseAsync())
        {
            await ExecuteAsync(warehouse, $"CREATE TABLE {table} (statement_id text PRIMARY KEY)");
        }
        await using var a = await StartReplicaAsync();
        await using var b = await StartReplicaAsync();
        var bus = a.Services.GetRequiredService<IBusControl>();
        var ids = Enumerable.Range(0, Count).Select(_ => Guid.NewGuid().ToString()).ToList();
        var messageIds = ids.Select(_ => NewId.NextGuid()).ToList();
        var deliveries = new DeliveryCounter(messageIds.ToHashSet());
        using var onA = bus.ConnectConsumeObserver(deliveries);
        using var onB = b.Services.GetRequiredService<IBusControl>().ConnectConsumeObserver(deliveries);
        var failures = new List<string>();
        var sentinel = Guid.NewGuid().ToString();
        var sentinelSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failed = bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), null, endpoint => endpoint.Handler<StatementFailed>(context =>
        {
            lock (failures)
            {
                failures.Add(context.Message.StatementId);
            }
            if (context.Message.StatementId == sentinel)
            {
                sentinelSeen.TrySetResult();
            }
            return Task.CompletedTask;
        }));
        await failed.Ready.WaitAsync(Timeout);
        var endpoint = await bus.GetSendEndpoint(new Uri("queue:SubmitStatement"));

        for (var i = 0; i < Count; i++)
        {
            var submit = new SubmitStatement
            {
                StatementId = ids[i], Database = Warehouse, Sql = $"INSERT INTO {table} (statement_id) VALUES (:id)", Parameters = new Dictionary<string, string> { ["id"] = ids[i] },
            };
            await endpoint.Send(submit, context => context.MessageId = messageIds[i]);
            await endpoint.Send(submit, context => context.MessageId = messageIds[i]);
        }
        var ended = await WaitForEndedAsync(ids);
        await WaitUntilAsync(() => Task.FromResult(deliveries.Count == 2 * Count), () => $"{2 * Count} deliveries expected; {deliveries}");
        // Published after every delivery was handled: once it arrives, any refusal would have too.
        await bus.Publish(new StatementFailed { StatementId = sentinel, Error = "sentinel", FailedAt = DateTimeOffset.UtcNow });
        await sentinelSeen.Task.WaitAsync(Timeout);
        await failed.StopAsync();

        Assert.All(ended, statement => Assert.True(statement.Status == "FINISHED", $"{statement.Id} ended {statement.Status}: {statement.Error}"));
        await using var check = await OpenWarehouseAsync();
        Assert.Equal(Count, await ScalarAsync<long>(check, $"SELECT count(*) FROM {table}"));
        Assert.Equal(Count, await ScalarAsync<long>(check, $"SELECT count(*) FROM {table} WHERE statement_id = ANY(@ids)", new NpgsqlParameter("ids", ids.ToArray())));
        // Both replicas consumed: the commands were competed for, not all taken by one.
        Assert.Equal(2, ended.Select(s => s.Runner).Distinct().Count());
        Assert.Equal([sentinel], failures);
    }

    /// <summary>
    /// ExecuteStatement with one client token sent at the same moment to both replicas (ten tokens
    /// at once): one statement per token, the same id on both, run once on the warehouse.
    /// </summary>
    [Fact]
    public async Task ExecuteStatement_SameClientTokenOnBothReplicasAtOnce_OneStatementRunOnce()
    {
        var table = "token_runs_" + Guid.NewGuid().ToString("N")[..8];
        await using (var warehouse = await OpenWarehouseAsync())
        {
            await ExecuteAsync(warehouse, $"CREATE TABLE {table} (token text)");
        }
        await using var a = await StartReplicaAsync();
        await using var b = await StartReplicaAsync();
        var tokens = Enumerable.Range(0, 10).Select(i => $"token-{i}-{Guid.NewGuid():N}").ToList();

        var answers = await Task.WhenAll(tokens.Select(async token =>
        {
            var request = new ExecuteStatementRequest { Database = Warehouse, Sql = $"INSERT INTO {table} (token) VALUES ('{token}')", ClientToken = token };
            var both = await Task.WhenAll(a.Client.ExecuteStatementAsync(request).ResponseAsync, b.Client.ExecuteStatementAsync(request).ResponseAsync);
            return (Token: token, A: both[0].Id, B: both[1].Id);
        }));
        foreach (var answer in answers)
        {
            var end = await b.Client.WaitForEndAsync(answer.A);
            Assert.True(end.Status == StatementStatus.Finished, $"{answer.Token} ended {end.Status}: {end.Error}");
        }

        Assert.All(answers, answer => Assert.Equal(answer.A, answer.B));
        await using var check = await OpenWarehouseAsync();
        foreach (var token in tokens)
        {
            Assert.Equal(1L, await ScalarAsync<long>(check, $"SELECT count(*) FROM {table} WHERE token = @p", new NpgsqlParameter("p", token)));
        }
    }

    /// <summary>
    /// A replica whose lease expired (it died without giving it back) has its running statement
    /// failed by a live replica with the reason; a statement a live replica has run for longer
    /// than the lease timeout is left running, and finishes.
    /// </summary>
    [Fact]
    public async Task LeaseExpired_DeadReplicasStatementFailed_LiveReplicasLongStatementKeepsRunning()
    {
        await using var a = await StartReplicaAsync();
        await using var b = await StartReplicaAsync();
        var lockKey = Random.Shared.NextInt64(1, long.MaxValue);
        await using var holder = await OpenWarehouseAsync();
        await ExecuteAsync(holder, $"SELECT pg_advisory_lock({lockKey})");
        var live = (await a.Client.ExecuteStatementAsync(new ExecuteStatementRequest
        {
            Database = Warehouse, Sql = $"SELECT 1 AS one FROM (SELECT pg_advisory_xact_lock({lockKey})) AS waited",
        })).Id;
        await a.Client.WaitForStatusAsync(live, StatementStatus.Started);
        await using var state = await OpenWarehouseAsync();
        // Wait (on the database's clock) until the live statement is older than the lease timeout.
        var startedAt = await ScalarAsync<DateTime>(state, "SELECT now()");
        await WaitUntilAsync(async () => await ScalarAsync<bool>(state, $"SELECT now() > @p + interval '{LeaseSeconds * 2} seconds'", new NpgsqlParameter("p", startedAt)));

        // A replica that died: its lease is old, and the statement it ran was STARTED (a copy,
        // under a new id, of one A ran, so that neither live replica holds it).
        var model = (await a.Client.RunAsync(Warehouse, "SET application_name = 'orphan'")).Id;
        var orphan = Guid.NewGuid().ToString();
        await ExecuteAsync(state, $$"""
            INSERT INTO sluice_query.replicas (id, started_at, last_seen) VALUES ('dead-replica', now() - interval '1 hour', now() - interval '1 hour');
            INSERT INTO sluice_query.statements (id, caller, status, created_at, updated_at, data, runner)
                SELECT '{{orphan}}', caller, 'STARTED', created_at, updated_at,
                       jsonb_set(jsonb_set(data, '{Id}', to_jsonb('{{orphan}}'::text)), '{Status}', to_jsonb({{(int)StatementStatus.Started}})), 'dead-replica'
                FROM sluice_query.statements WHERE id = '{{model}}';
            """);
        var orphanEnd = await WaitForStoredEndAsync(state, orphan);
        var liveMeanwhile = await b.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = live });
        await ExecuteAsync(holder, $"SELECT pg_advisory_unlock({lockKey})");
        var liveEnd = await b.Client.WaitForEndAsync(live);
        var orphanOnB = await b.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = orphan });

        Assert.Equal("FAILED", orphanEnd);
        Assert.Equal(StatementStatus.Failed, orphanOnB.Status);
        Assert.Contains("The query service stopped while the statement was STARTED", orphanOnB.Error);
        Assert.Equal(StatementStatus.Started, liveMeanwhile.Status);
        Assert.Equal(StatementStatus.Finished, liveEnd.Status);
    }

    // Short, for the lease test; long enough that a heartbeat delayed by a loaded machine does
    // not make a live replica look dead (its statements would then be taken over and failed).
    private const int LeaseSeconds = 5;

    private Task<QueryHost> StartReplicaAsync()
    {
        var configuration = new Dictionary<string, string?>(RabbitMqBroker.BusConfiguration().Concat(database.Settings()))
        {
            ["Sluice:ObjectStore:Provider"] = "Local",
            ["Sluice:ObjectStore:LocalRoot"] = _objects,
        };
        return QueryHost.StartAsync(new Dictionary<string, string?>
        {
            ["Engine"] = "Postgres",
            ["PostgresConnectionString"] = database.ConnectionString,
            ["ResultPageRows"] = "3",
            ["Replicas:HeartbeatInterval"] = "00:00:00.500",
            ["Replicas:LeaseTimeout"] = $"00:00:0{LeaseSeconds}",
        }, configuration);
    }

    private async Task<List<(string Id, string Status, string Runner, string? Error)>> WaitForEndedAsync(IReadOnlyList<string> ids)
    {
        await using var connection = await OpenWarehouseAsync();
        List<(string Id, string Status, string Runner, string? Error)> ended = [];
        await WaitUntilAsync(async () =>
        {
            ended = [];
            await using var command = new NpgsqlCommand(
                "SELECT id, status, runner, data->>'Error' FROM sluice_query.statements WHERE id = ANY(@ids) AND status IN ('FINISHED', 'FAILED', 'ABORTED')", connection)
            {
                Parameters = { new("ids", ids.ToArray()) },
            };
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ended.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
            }
            return ended.Count == ids.Count;
        }, () => $"{ended.Count} of {ids.Count} statements ended");
        return ended;
    }

    private static async Task<string> WaitForStoredEndAsync(NpgsqlConnection connection, string id)
    {
        var status = "";
        await WaitUntilAsync(async () =>
        {
            status = await ScalarAsync<string>(connection, "SELECT status FROM sluice_query.statements WHERE id = @p", new NpgsqlParameter("p", id));
            return status is "FINISHED" or "FAILED" or "ABORTED";
        }, () => $"statement {id} still {status}");
        return status;
    }

    /// <summary>Checks <paramref name="condition"/> with short pauses until it holds; fails after <see cref="Timeout"/>.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string>? describe = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > Timeout)
            {
                Assert.Fail($"Not reached within {Timeout}: {describe?.Invoke() ?? "condition"}");
            }
            await Task.Delay(100);
        }
    }

    private static async Task<(ResultMetadata Metadata, List<Record> Records)> ReadStreamAsync(AsyncServerStreamingCall<StreamStatementResultResponse> call, CancellationToken token)
    {
        ResultMetadata? metadata = null;
        var records = new List<Record>();
        await foreach (var message in call.ResponseStream.ReadAllAsync(token))
        {
            if (message.Metadata is not null)
            {
                metadata = message.Metadata;
            }
            else
            {
                records.AddRange(message.Batch.Records);
            }
        }
        return (metadata ?? throw new InvalidOperationException("The stream sent no metadata."), records);
    }

    private async Task<NpgsqlConnection> OpenWarehouseAsync()
    {
        var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Counts handled deliveries of SubmitStatement messages with the given ids (those the inbox dropped included).</summary>
    private sealed class DeliveryCounter(HashSet<Guid> messageIds) : IConsumeObserver
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task PreConsume<T>(ConsumeContext<T> context)
            where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context)
            where T : class
        {
            if (context.Message is SubmitStatement && context.MessageId is { } id && messageIds.Contains(id))
            {
                Interlocked.Increment(ref _count);
            }
            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
            where T : class
        {
            if (context.Message is SubmitStatement && context.MessageId is { } id && messageIds.Contains(id))
            {
                lock (Faults)
                {
                    Faults.Add(exception.GetType().Name + ": " + exception.Message);
                }
            }
            return Task.CompletedTask;
        }

        /// <summary>Why deliveries failed (each is then retried or dead-lettered).</summary>
        public List<string> Faults { get; } = [];

        public override string ToString()
        {
            lock (Faults)
            {
                return $"{Count} of the deliveries handled, {Faults.Count} faulted: " + string.Join(" | ", Faults.Distinct().Take(5));
            }
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_objects, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was shared.
        }
    }
}
