using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts.Messages;
using Sluice.Query.V1;

namespace Sluice.Query.Tests;

/// <summary>
/// Statement messages on the bus of a hosted query service: submission by message and completion
/// events, run once per transport the service supports (see the subclasses at the end).
/// </summary>
public abstract class StatementEventTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Host configuration choosing the bus transport (the Sluice:Broker section) and the state store (Sluice:Query:State).</summary>
    protected abstract IReadOnlyDictionary<string, string?> BusConfiguration();

    private Task<QueryHost> StartHostAsync() => QueryHost.StartAsync(new Dictionary<string, string?>(), BusConfiguration());

    /// <summary>
    /// The broker delivers one SubmitStatement twice (same message id: an acknowledgement lost
    /// after the statement started). One statement runs, and no failure is announced for it
    /// (without the inbox the second delivery would be refused as a duplicate id and publish StatementFailed).
    /// </summary>
    [Fact]
    public async Task SubmitStatement_DeliveredTwiceWithOneMessageId_RunsOnceAndAnnouncesNoFailure()
    {
        await using var host = await StartHostAsync();
        await using var events = await EventRecorder.StartAsync(host);
        var id = Guid.NewGuid().ToString();
        var messageId = NewId.NextGuid();
        var consumed = new ConsumedCounter(messageId);
        using var observing = host.Services.GetRequiredService<IBusControl>().ConnectConsumeObserver(consumed);
        var endpoint = await events.Bus.GetSendEndpoint(new Uri("queue:SubmitStatement"));
        var submit = new SubmitStatement { StatementId = id, Database = "dev", Sql = "SELECT 1 AS one", StatementName = "delivered-twice" };

        await endpoint.Send(submit, c => c.MessageId = messageId);
        var end = await events.FinishedAsync(id);
        await endpoint.Send(submit, c => c.MessageId = messageId);
        await consumed.WaitForAsync(2, Timeout);
        // The recorder handles events in arrival order: once it has this later one, it has seen
        // whatever the second delivery published.
        var sentinel = Guid.NewGuid().ToString();
        await events.Bus.Publish(new StatementFailed { StatementId = sentinel, Error = "sentinel", FailedAt = DateTimeOffset.UtcNow });
        await events.FailedAsync(sentinel);

        Assert.Equal(1, end.RowCount);
        Assert.False(events.SawFailed(id), "The second delivery announced a failure of the statement the first one started.");
        Assert.Equal(StatementStatus.Finished, (await host.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id })).Status);
        Assert.Equal(1, events.FinishedCount(id));
    }

    [Fact]
    public async Task SubmitStatement_ByMessageToTheHostedService_PublishesStatementFinishedWithRowCount()
    {
        await using var host = await StartHostAsync();
        await using var events = await EventRecorder.StartAsync(host);
        var id = Guid.NewGuid().ToString();

        await events.Bus.Publish(new SubmitStatement { StatementId = id, Database = "dev", Sql = "SELECT * FROM sales WHERE id <= :n", Parameters = new Dictionary<string, string> { ["n"] = "25" } });
        var end = await events.FinishedAsync(id);

        Assert.Equal(25, end.RowCount);
        Assert.True(end.HasResultSet);
    }

    [Fact]
    public async Task SubmitStatement_BurstOverTheCallersQuota_EveryStatementRunsNoneIsRefused()
    {
        // One active statement per caller: the others of the burst wait, held by the broker.
        await using var host = await QueryHost.StartAsync(new Dictionary<string, string?> { ["MaxActiveStatementsPerCaller"] = "1" }, BusConfiguration());
        await using var events = await EventRecorder.StartAsync(host);
        var ids = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid().ToString()).ToList();

        await Task.WhenAll(ids.Select(id => events.Bus.Publish(new SubmitStatement { StatementId = id, Database = "dev", Sql = "SELECT count(*) AS n FROM range(3000000)" })));

        foreach (var id in ids)
        {
            var end = await events.FinishedAsync(id);
            Assert.Equal(1, end.RowCount);
        }
        Assert.DoesNotContain(ids, events.SawFailed);
    }

    [Fact]
    public async Task SubmitStatement_InvalidByMessage_PublishesStatementFailed()
    {
        await using var host = await StartHostAsync();
        await using var events = await EventRecorder.StartAsync(host);
        var id = Guid.NewGuid().ToString();

        await events.Bus.Publish(new SubmitStatement { StatementId = id, Database = "dev", Sql = "SELECT :missing" });
        var end = await events.FailedAsync(id);

        Assert.Contains(":missing", end.Error, StringComparison.Ordinal);
    }

    /// <summary>
    /// The completion event goes out only when asked for, and a statement on the embedded engine
    /// takes no saga message (StatementEnded is a remote statement's): its public events suffice.
    /// </summary>
    [Fact]
    public async Task ExecuteStatement_WithEventOrNot_PublishesTheCompletionEventOnlyWhenAsked()
    {
        await using var host = await StartHostAsync();
        await using var events = await EventRecorder.StartAsync(host);

        var silent = await host.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT * FROM sales WHERE id <= 3" });
        var silentStarted = await events.StartedAsync(silent.Id);
        await StatementWaits.WaitForStatusAsync(host.Client, silent.Id, StatementStatus.Finished);
        var announced = await host.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT * FROM sales WHERE id <= 4", WithEvent = true });
        var announcedFinished = await events.FinishedAsync(announced.Id);
        // The recorder handles events in arrival order, and the silent statement ended before the
        // announced one began: once it has this later sentinel, anything published for either has been seen.
        var sentinel = Guid.NewGuid().ToString();
        await events.Bus.Publish(new StatementFailed { StatementId = sentinel, Error = "sentinel", FailedAt = DateTimeOffset.UtcNow });
        await events.FailedAsync(sentinel);

        Assert.Null(silentStarted.RemoteStatementId);
        Assert.False(events.SawFinished(silent.Id));
        Assert.Equal(4, announcedFinished.RowCount);
        Assert.False(events.SawEnded(silent.Id));
        Assert.False(events.SawEnded(announced.Id));
    }

    /// <summary>Submission by message through the Redshift engine: only the saga's re-check can end a remote statement.</summary>
    [Fact]
    public async Task SubmitStatement_ByMessageOnTheRedshiftEngine_PublishesStatementFinishedWithRowCount()
    {
        var fixture = new RedshiftEngineFixture { HostConfiguration = BusConfiguration() };
        await fixture.InitializeAsync();
        try
        {
            await using var events = await EventRecorder.StartAsync(fixture.Host);
            var id = Guid.NewGuid().ToString();

            await events.Bus.Publish(new SubmitStatement { StatementId = id, Database = "dev", Sql = "SELECT range AS x FROM range(1, 3000001) WHERE range % 100000 = 0" });
            var end = await events.FinishedAsync(id);
            var described = await fixture.Host.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id });

            Assert.Equal(30, end.RowCount);
            Assert.True(end.HasResultSet);
            Assert.Equal(StatementStatus.Finished, described.Status);
            Assert.Equal(30, described.ResultRows);
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    /// <summary>
    /// A remote statement that runs on: the saga's loop (check, "still running", next check) goes
    /// round until the statement ends, here by cancellation, which finalizes the saga.
    /// </summary>
    [Fact]
    public async Task SubmitStatement_ByMessageOnTheRedshiftEngine_ReChecksWhileTheRemoteStatementRuns()
    {
        var fixture = new RedshiftEngineFixture { HostConfiguration = BusConfiguration() };
        await fixture.InitializeAsync();
        try
        {
            await using var events = await EventRecorder.StartAsync(fixture.Host);
            var id = Guid.NewGuid().ToString();

            // Runs for minutes remotely (a 100-billion-row join): every check within the wait finds it running.
            await events.Bus.Publish(new SubmitStatement { StatementId = id, Database = "dev", Sql = fixture.SlowSql });
            await events.StillRunningAnswersAsync(id, atLeast: 3);
            await fixture.Host.Client.CancelStatementAsync(new CancelStatementRequest { Id = id });
            var end = await events.EndedAsync(id);
            var described = await fixture.Host.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id });

            Assert.Equal("ABORTED", end.Status);
            Assert.Equal(StatementStatus.Aborted, described.Status);
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    /// <summary>Records the statement events a host's bus carries, handled one at a time in arrival order.</summary>
    private sealed class EventRecorder : IAsyncDisposable
    {
        private readonly HostReceiveEndpointHandle _handle;
        private readonly Dictionary<string, TaskCompletionSource<object>> _waits = [];
        private readonly List<object> _seen = [];
        private readonly Lock _sync = new();

        private EventRecorder(IBus bus, Func<EventRecorder, HostReceiveEndpointHandle> connect)
        {
            Bus = bus;
            _handle = connect(this);
        }

        public IBus Bus { get; }

        public static async Task<EventRecorder> StartAsync(QueryHost host)
        {
            var bus = host.Services.GetRequiredService<IBusControl>();
            // A temporary endpoint: a queue of its own, deleted by the broker once the recorder
            // stops or its process dies, so it neither lingers nor collects later runs' events.
            var recorder = new EventRecorder(bus, self => bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), null, endpoint =>
            {
                endpoint.ConcurrentMessageLimit = 1;
                endpoint.Handler<StatementStarted>(context => self.Record(context.Message.StatementId, context.Message));
                endpoint.Handler<StatementFinished>(context => self.Record(context.Message.StatementId, context.Message));
                endpoint.Handler<StatementFailed>(context => self.Record(context.Message.StatementId, context.Message));
                endpoint.Handler<StatementEnded>(context => self.Record(context.Message.StatementId, context.Message));
                endpoint.Handler<StatementStillRunning>(context => self.Record(context.Message.StatementId, context.Message));
            }));
            try
            {
                // Ready once its queue is bound to the events' exchanges: nothing published later is missed.
                await recorder._handle.Ready.WaitAsync(Timeout);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"The event recorder's endpoint was not ready within {Timeout.TotalSeconds} s; the host's bus: {bus.CheckHealth().Description}");
            }
            return recorder;
        }

        public async Task<StatementFinished> FinishedAsync(string id) => (StatementFinished)await WaitAsync(id, typeof(StatementFinished));

        public async Task<StatementFailed> FailedAsync(string id) => (StatementFailed)await WaitAsync(id, typeof(StatementFailed));

        public async Task<StatementStarted> StartedAsync(string id) => (StatementStarted)await WaitAsync(id, typeof(StatementStarted));

        public bool SawEnded(string id)
        {
            lock (_sync)
            {
                return _seen.OfType<StatementEnded>().Any(m => m.StatementId == id);
            }
        }

        public async Task<StatementEnded> EndedAsync(string id) => (StatementEnded)await WaitAsync(id, typeof(StatementEnded));

        public bool SawFailed(string id)
        {
            lock (_sync)
            {
                return _seen.OfType<StatementFailed>().Any(m => m.StatementId == id);
            }
        }

        public int FinishedCount(string id)
        {
            lock (_sync)
            {
                return _seen.OfType<StatementFinished>().Count(m => m.StatementId == id);
            }
        }

        public bool SawFinished(string id)
        {
            lock (_sync)
            {
                return _seen.OfType<StatementFinished>().Any(m => m.StatementId == id);
            }
        }

        /// <summary>Waits until the saga's re-checks of a remote statement have found it still running <paramref name="atLeast"/> times.</summary>
        public async Task StillRunningAnswersAsync(string id, int atLeast)
        {
            using var timeout = new CancellationTokenSource(Timeout);
            while (StillRunningAnswers(id) < atLeast)
            {
                if (timeout.IsCancellationRequested)
                {
                    Assert.Fail($"Re-checks answered still running {StillRunningAnswers(id)} time(s) within {Timeout.TotalSeconds} s, expected at least {atLeast}.");
                }
                await Task.Delay(TimeSpan.FromMilliseconds(20));
            }
        }

        private int StillRunningAnswers(string id)
        {
            lock (_sync)
            {
                return _seen.OfType<StatementStillRunning>().Count(m => m.StatementId == id);
            }
        }

        public async ValueTask DisposeAsync() => await _handle.StopAsync();

        private Task Record(string id, object message)
        {
            lock (_sync)
            {
                _seen.Add(message);
                Wait(id, message.GetType()).TrySetResult(message);
            }
            return Task.CompletedTask;
        }

        private async Task<object> WaitAsync(string id, Type type)
        {
            Task<object> wait;
            lock (_sync)
            {
                wait = Wait(id, type).Task;
            }
            try
            {
                return await wait.WaitAsync(Timeout);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"No {type.Name} for statement {id} within {Timeout.TotalSeconds} s.");
            }
        }

        private TaskCompletionSource<object> Wait(string id, Type type)
        {
            var key = type.Name + "/" + id;
            if (!_waits.TryGetValue(key, out var wait))
            {
                wait = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waits[key] = wait;
            }
            return wait;
        }
    }
}

/// <summary>Counts completed consumptions of one message id (skipped redeliveries included).</summary>
internal sealed class ConsumedCounter(Guid messageId) : IConsumeObserver
{
    private int _count;

    public async Task WaitForAsync(int count, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (Volatile.Read(ref _count) < count)
        {
            Assert.False(cancel.IsCancellationRequested, $"Message {messageId} was consumed {_count} time(s) within {timeout.TotalSeconds} s, expected {count}.");
            await Task.Delay(20);
        }
    }

    public Task PreConsume<T>(ConsumeContext<T> context)
        where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context)
        where T : class
    {
        if (context.MessageId == messageId && context.Message is SubmitStatement)
        {
            Interlocked.Increment(ref _count);
        }
        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;
}

public sealed class InMemoryStatementEventTests : StatementEventTests
{
    protected override IReadOnlyDictionary<string, string?> BusConfiguration() => new Dictionary<string, string?> { ["Sluice:Broker:Transport"] = "InMemory" };
}

/// <summary>The durable profile's transport, on the server SLUICE_TEST_RABBITMQ names.</summary>
[Collection(RabbitMqBroker.Collection)]
public sealed class RabbitMqStatementEventTests : StatementEventTests
{
    protected override IReadOnlyDictionary<string, string?> BusConfiguration() => RabbitMqBroker.BusConfiguration();

    /// <summary>
    /// The service serves gRPC and publishes statement events as soon as it has started. On
    /// RabbitMQ a queue is bound to the exchanges of its messages only when its endpoint starts,
    /// and a message published to an exchange with no bound queue is dropped: on a broker that
    /// does not hold the service's queues yet (first start, new virtual host), a Redshift statement
    /// accepted in that window loses its RemoteStatementStarted, is never re-checked and stays STARTED.
    /// </summary>
    [Fact]
    public async Task HostStart_OnRabbitMq_ReturnsOnlyOnceTheBusEndpointsAreBound()
    {
        await using var host = await QueryHost.StartAsync(new Dictionary<string, string?>(), BusConfiguration());
        var bus = host.Services.GetRequiredService<IBusControl>();

        var health = bus.CheckHealth();
        // Not stopped before it is ready: a bus stopped while still starting is not stopped at all
        // ("Failed to stop bus ... (Not Started)"), finishes starting after the host is disposed and
        // takes the next tests' messages from the shared queues, faulting them.
        await bus.WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));

        Assert.True(health.Status == BusHealthStatus.Healthy, $"The service had started but its bus was not ready: {health.Description}");
    }
}

/// <summary>On RabbitMQ with the saga, the statements and the inbox in PostgreSQL (the durable profile).</summary>
[Collection(RabbitMqBroker.Collection)]
public sealed class PostgresRabbitMqStatementEventTests(StateDatabaseFixture database) : StatementEventTests, IClassFixture<StateDatabaseFixture>
{
    protected override IReadOnlyDictionary<string, string?> BusConfiguration() =>
        new Dictionary<string, string?>(RabbitMqBroker.BusConfiguration().Concat(database.Settings()));
}
