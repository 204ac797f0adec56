using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Contracts.Messages;
using Sluice.Query.Persistence;
using Sluice.Query.StateMachines;
using Sluice.ServiceDefaults;

namespace Sluice.Query.Tests;

/// <summary>The statement saga on MassTransit's test harness, its instances in memory (and in PostgreSQL: <see cref="PostgresStatementSagaTests"/>).</summary>
public class StatementSagaTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Registers the state store the saga keeps its instances in and says which it is.</summary>
    protected virtual StateStoreKind AddStateStore(IServiceCollection services) => StateStoreKind.Memory;

    /// <summary>
    /// A statement on an embedded engine publishes its public lifecycle events and its end itself:
    /// the saga, which follows only statements on a remote warehouse, takes none of them.
    /// </summary>
    [Fact]
    public async Task StatementStateMachine_PublicEventsOfAnEmbeddedStatement_CreateNoInstance()
    {
        await using var provider = HarnessWith();
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var saga = harness.GetSagaStateMachineHarness<StatementStateMachine, StatementState>();
        var id = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;

        await harness.Bus.Publish(new StatementSubmitted { StatementId = id.ToString(), Database = "dev", Sql = "SELECT 1", Caller = "test", SubmittedAt = now });
        await harness.Bus.Publish(new StatementStarted { StatementId = id.ToString(), StartedAt = now });
        await harness.Bus.Publish(new StatementFinished { StatementId = id.ToString(), HasResultSet = true, RowCount = 1, DurationNanoseconds = 1000, FinishedAt = now });

        Assert.True(await harness.Published.Any<StatementFinished>(x => x.Context.Message.StatementId == id.ToString()));
        // Nothing reached the saga's endpoint (its queue is bound to its own messages only).
        Assert.False(await saga.Consumed.Any());
        Assert.False(await saga.Created.Any(x => x.CorrelationId == id));
        Assert.False(await harness.Sent.Any<CheckStatement>());
    }

    [Fact]
    public async Task StatementStateMachine_RemoteStatement_RechecksWithGrowingDelaysUntilFinished()
    {
        const int StillRunningAnswers = 5;
        await using var provider = HarnessWith(bus => bus.AddHandler<CheckStatement>(async context =>
        {
            // Plays the checking consumer (the transport has held each check for its delay):
            // still running for the first answers, then the end.
            if (context.Message.Attempt <= StillRunningAnswers)
            {
                await context.Publish(new StatementStillRunning
                {
                    StatementId = context.Message.StatementId, Attempt = context.Message.Attempt, RemoteStatus = "STARTED", CheckedAt = DateTimeOffset.UtcNow,
                });
                return;
            }
            await context.Publish(Ended(Guid.Parse(context.Message.StatementId), "FINISHED", rows: 42));
        }).Endpoint(e => e.Name = CheckStatementConsumerDefinition.QueueName));
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var saga = harness.GetSagaStateMachineHarness<StatementStateMachine, StatementState>();
        var ends = new FinalInstances();
        provider.GetRequiredService<StatementStateMachine>().ConnectStateObserver(ends);
        var id = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;

        await harness.Bus.Publish(Started(id, now, "remote-1"));

        // Finalized first (NotExists alone would also pass before the instance is created), then removed.
        var instance = await ends.WaitForAsync(id, Timeout);
        Assert.Null(await saga.NotExists(id, Timeout));
        // Sent to the checking endpoint, never published to whoever subscribes.
        var checks = harness.Sent.Select<CheckStatement>().Select(m => m.Context.Message).Where(m => m.StatementId == id.ToString()).OrderBy(m => m.Attempt).ToList();
        Assert.False(await harness.Published.Any<CheckStatement>());
        // First delay 100 ms (see HarnessWith), doubling, capped at 1 s.
        Assert.Equal([1, 2, 3, 4, 5, 6], checks.Select(c => c.Attempt));
        Assert.Equal([100, 200, 400, 800, 1000, 1000], checks.Select(c => c.Delay.TotalMilliseconds));
        Assert.Equal("FINISHED", instance.Outcome);
        Assert.Equal(42, instance.RowCount);
        Assert.Equal(StillRunningAnswers, instance.StatusChecks);
        Assert.Equal("remote-1", instance.RemoteStatementId);
        Assert.Equal("SELECT 1", instance.Sql);
    }

    [Fact]
    public async Task StatementStateMachine_EndOfAnUnknownStatement_IsDiscardedWithoutCreatingAnInstance()
    {
        await using var provider = HarnessWith();
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var saga = harness.GetSagaStateMachineHarness<StatementStateMachine, StatementState>();
        var id = Guid.NewGuid();

        await harness.Bus.Publish(Ended(id, "ABORTED", rows: -1));

        Assert.True(await harness.Consumed.Any<StatementEnded>(x => x.Context.Message.StatementId == id.ToString()));
        Assert.False(await saga.Created.Any(x => x.CorrelationId == id));
        // Discarded, not faulted (an unhandled missing instance would publish a Fault).
        Assert.False(await harness.Published.Any<Fault<StatementEnded>>());
    }

    private ServiceProvider HarnessWith(Action<IBusRegistrationConfigurator>? more = null)
    {
        var services = new ServiceCollection();
        var store = AddStateStore(services);
        return services
            .Configure<QueryOptions>(o =>
            {
                o.Redshift.FirstStatusCheckDelay = TimeSpan.FromMilliseconds(100);
                o.Redshift.MaxStatusCheckDelay = TimeSpan.FromSeconds(1);
            })
            .AddMassTransitTestHarness(bus =>
            {
                bus.AddStatementSaga(store);
                more?.Invoke(bus);
                // As AddSluiceBus sets up the in-memory transport: the saga schedules its checks.
                bus.AddDelayedMessageScheduler();
                bus.UsingInMemory((context, transport) =>
                {
                    transport.UseDelayedMessageScheduler();
                    transport.ConfigureEndpoints(context);
                });
            })
            .BuildServiceProvider(true);
    }

    private static RemoteStatementStarted Started(Guid id, DateTimeOffset at, string remoteId) => new()
    {
        StatementId = id.ToString(), RemoteStatementId = remoteId, Database = "dev", Sql = "SELECT 1", Caller = "test", SubmittedAt = at, StartedAt = at,
    };

    private static StatementEnded Ended(Guid id, string status, long rows) => new()
    {
        StatementId = id.ToString(),
        Status = status,
        HasResultSet = rows >= 0,
        RowCount = rows,
        DurationNanoseconds = 1000,
        WithEvent = false,
        EndedAt = DateTimeOffset.UtcNow,
    };
}

/// <summary>The same scenarios with the saga's instances in PostgreSQL (SLUICE_TEST_POSTGRES).</summary>
public sealed class PostgresStatementSagaTests(StateDatabaseFixture database) : StatementSagaTests, IClassFixture<StateDatabaseFixture>
{
    protected override StateStoreKind AddStateStore(IServiceCollection services)
    {
        services.AddLogging();
        services.Configure<StateStoreOptions>(o =>
        {
            o.Store = StateStoreKind.Postgres;
            o.ConnectionString = database.ConnectionString;
        });
        services.AddSingleton<PostgresStateDatabase>();
        return StateStoreKind.Postgres;
    }
}

/// <summary>
/// The saga's re-checks on a real bus set up by AddSluiceBus, once per transport (subclasses
/// below; SQS in Sluice.MassTransit.AmazonSqs.Tests): each check is held by the transport for its
/// delay and reaches the checking endpoint no earlier than that.
/// </summary>
public abstract class StatementRecheckTests
{
    /// <summary>Clock reading slack between the sender's SentTime and the receiver's clock (same machine).</summary>
    private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(50);

    /// <summary>Host configuration choosing the bus transport (the Sluice:Broker section).</summary>
    protected abstract IReadOnlyDictionary<string, string?> BusConfiguration();

    [Fact]
    public async Task CheckStatement_ScheduledBySaga_ArrivesNoEarlierThanItsDelay()
    {
        var script = new CheckScript(stillRunningAnswers: 2);
        await using var host = await SagaBusHost.StartAsync(BusConfiguration(), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), saga: true, script);
        var id = script.Expect();

        var startedAt = DateTime.UtcNow;
        await host.StartRemoteStatementAsync(id);
        await script.WaitForAttemptAsync(id, 3);
        await host.WaitUntilEndedAsync(id);

        var checks = script.Seen(id);
        Assert.Equal([1, 2, 3], checks.Select(c => c.Attempt));
        Assert.Equal([1000, 2000, 2000], checks.Select(c => c.Delay.TotalMilliseconds));
        // Each check is due its delay after the saga scheduled it, and is scheduled after what caused it:
        // the start (check 1) or the previous check's answer. SentTime is no reference: it is stamped when
        // the saga's outbox releases the send, after the delay has started (a loaded machine showed 838 ms
        // from SentTime to a 1,000 ms check that was on time).
        var previous = startedAt;
        foreach (var check in checks)
        {
            var scheduledAt = check.DueAt - check.Delay;
            Assert.InRange(scheduledAt, previous - Tolerance, check.SentAt + Tolerance);
            Assert.True(check.ReceivedAt >= check.DueAt - Tolerance,
                $"Check {check.Attempt} arrived {(check.DueAt - check.ReceivedAt).TotalMilliseconds:F0} ms before it was due (delay {check.Delay.TotalMilliseconds} ms).");
            previous = check.ReceivedAt;
        }
    }
}

public sealed class InMemoryStatementRecheckTests : StatementRecheckTests
{
    protected override IReadOnlyDictionary<string, string?> BusConfiguration() => new Dictionary<string, string?> { ["Sluice:Broker:Transport"] = "InMemory" };
}

/// <summary>On RabbitMQ the wait is a delay queue on the broker, so it outlives the consumer's host.</summary>
[Collection(RabbitMqBroker.Collection)]
public sealed class RabbitMqStatementRecheckTests : StatementRecheckTests
{
    protected override IReadOnlyDictionary<string, string?> BusConfiguration() => RabbitMqBroker.BusConfiguration();

    /// <summary>
    /// The saga (its state in memory) runs in one host and the checking consumer in another. The
    /// check waits in its delay queue while the checker's host is stopped and a new one started;
    /// the new one gets it when due and the statement ends.
    /// </summary>
    [Fact]
    public async Task CheckStatement_WaitingInTheDelayQueue_SurvivesTheCheckersHostBeingReplaced()
    {
        var delay = TimeSpan.FromSeconds(8);
        var first = new CheckScript(stillRunningAnswers: 0);
        var second = new CheckScript(stillRunningAnswers: 0);
        var id = first.Expect();
        second.Expect(id);
        await using var checker = await SagaBusHost.StartAsync(BusConfiguration(), delay, delay, saga: false, first);
        await using var saga = await SagaBusHost.StartAsync(BusConfiguration(), delay, delay, saga: true, script: null);

        await saga.StartRemoteStatementAsync(id);
        var queue = RabbitMqDelayedDelivery.QueueName(CheckStatementConsumerDefinition.QueueName, RabbitMqDelayedDelivery.QueueDelay(delay));
        await WaitForMessagesAsync(queue);
        await checker.DisposeAsync();
        await using var replacement = await SagaBusHost.StartAsync(BusConfiguration(), delay, delay, saga: false, second);
        await second.WaitForAttemptAsync(id, 1);
        await saga.WaitUntilEndedAsync(id);

        Assert.Empty(first.Seen(id));
        var check = Assert.Single(second.Seen(id));
        Assert.True(check.ReceivedAt >= check.SentAt + delay - TimeSpan.FromMilliseconds(50));
    }

    /// <summary>Waits until <paramref name="queue"/> holds a message, read with a passive declare.</summary>
    private static async Task WaitForMessagesAsync(string queue)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(RabbitMqBroker.Uri) };
        await using var connection = await factory.CreateConnectionAsync();
        using var timeout = new CancellationTokenSource(SagaBusHost.Timeout);
        while (true)
        {
            try
            {
                // A fresh channel each time: a passive declare of a queue not there yet closes it.
                await using var channel = await connection.CreateChannelAsync();
                if ((await channel.QueueDeclarePassiveAsync(queue)).MessageCount > 0)
                {
                    return;
                }
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
            }
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"No message waited in the delay queue '{queue}' within {SagaBusHost.Timeout.TotalSeconds} s.");
            }
            await Task.Delay(50);
        }
    }
}

/// <summary>The same on RabbitMQ with the saga's instances in PostgreSQL.</summary>
[Collection(RabbitMqBroker.Collection)]
public sealed class PostgresRabbitMqStatementRecheckTests(StateDatabaseFixture database) : StatementRecheckTests, IClassFixture<StateDatabaseFixture>
{
    protected override IReadOnlyDictionary<string, string?> BusConfiguration() =>
        new Dictionary<string, string?>(RabbitMqBroker.BusConfiguration().Concat(database.Settings()));
}

/// <summary>A check as the scripted checker received it.</summary>
internal sealed record SeenCheck(string StatementId, int Attempt, TimeSpan Delay, DateTime DueAt, DateTime SentAt, DateTime ReceivedAt);

/// <summary>
/// What the scripted checker answers: still running for the first checks of a statement, then the
/// end. Checks of statements it was not told about (left over on a shared broker) are ignored.
/// </summary>
internal sealed class CheckScript(int stillRunningAnswers)
{
    private readonly HashSet<string> _expected = [];
    private readonly List<SeenCheck> _seen = [];

    public int StillRunningAnswers => stillRunningAnswers;

    public string Expect(string? id = null)
    {
        id ??= Guid.NewGuid().ToString();
        lock (_seen)
        {
            _expected.Add(id);
        }
        return id;
    }

    public bool Record(SeenCheck check)
    {
        lock (_seen)
        {
            if (!_expected.Contains(check.StatementId))
            {
                return false;
            }
            _seen.Add(check);
            return true;
        }
    }

    public IReadOnlyList<SeenCheck> Seen(string id)
    {
        lock (_seen)
        {
            return _seen.Where(c => c.StatementId == id).OrderBy(c => c.Attempt).ToList();
        }
    }

    public async Task WaitForAttemptAsync(string id, int attempt)
    {
        using var timeout = new CancellationTokenSource(SagaBusHost.Timeout);
        while (!Seen(id).Any(c => c.Attempt >= attempt))
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"Check {attempt} of {id} did not arrive within {SagaBusHost.Timeout.TotalSeconds} s; seen: {Seen(id).Count}.");
            }
            await Task.Delay(20);
        }
    }
}

/// <summary>Plays the checking consumer on its real endpoint, by <see cref="CheckScript"/>.</summary>
internal sealed class ScriptedCheckConsumer(CheckScript script) : IConsumer<CheckStatement>
{
    public async Task Consume(ConsumeContext<CheckStatement> context)
    {
        var message = context.Message;
        var sentAt = DateTime.SpecifyKind(context.SentTime ?? DateTime.MinValue, DateTimeKind.Utc);
        if (!script.Record(new SeenCheck(message.StatementId, message.Attempt, message.Delay, DateTime.SpecifyKind(message.DueAt, DateTimeKind.Utc), sentAt, DateTime.UtcNow)))
        {
            return;
        }
        if (message.Attempt <= script.StillRunningAnswers)
        {
            await context.Publish(new StatementStillRunning { StatementId = message.StatementId, Attempt = message.Attempt, RemoteStatus = "STARTED", CheckedAt = DateTimeOffset.UtcNow });
            return;
        }
        await context.Publish(new StatementEnded
        {
            StatementId = message.StatementId, Status = "FINISHED", HasResultSet = true, RowCount = 1, DurationNanoseconds = 1000, WithEvent = false, EndedAt = DateTimeOffset.UtcNow,
        });
    }
}

/// <summary>A generic host with the bus AddSluiceBus builds, holding the saga, the scripted checker, or both.</summary>
internal sealed class SagaBusHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly IHost _host;
    private bool _stopped;

    private SagaBusHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    /// <summary>Starts the host; <paramref name="beforeStart"/> sees its services before the bus handles a message.</summary>
    public static async Task<SagaBusHost> StartAsync(IReadOnlyDictionary<string, string?> busConfiguration, TimeSpan firstDelay, TimeSpan maxDelay, bool saga,
        CheckScript? script, Action<IServiceProvider>? beforeStart = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development" });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(busConfiguration);
        builder.Services.Configure<QueryOptions>(o =>
        {
            o.Redshift.FirstStatusCheckDelay = firstDelay;
            o.Redshift.MaxStatusCheckDelay = maxDelay;
        });
        if (script is not null)
        {
            builder.Services.AddSingleton(script);
        }
        var store = builder.AddQueryStateStore();
        builder.AddSluiceBusParticipant(bus =>
        {
            if (saga)
            {
                bus.AddStatementSaga(store);
            }
            if (script is not null)
            {
                bus.AddConsumer<ScriptedCheckConsumer>().Endpoint(e => e.Name = CheckStatementConsumerDefinition.QueueName);
            }
        });
        builder.AddSluiceBus();
        var host = builder.Build();
        beforeStart?.Invoke(host.Services);
        using var starting = new CancellationTokenSource(Timeout);
        await host.StartAsync(starting.Token);
        return new SagaBusHost(host);
    }

    /// <summary>Publishes a statement's start on a remote warehouse, as the statement manager does.</summary>
    public async Task StartRemoteStatementAsync(string id)
    {
        var bus = _host.Services.GetRequiredService<IBus>();
        var now = DateTimeOffset.UtcNow;
        await bus.Publish(new RemoteStatementStarted
        {
            StatementId = id, RemoteStatementId = "remote-" + id, Database = "dev", Sql = "SELECT 1", Caller = "test", SubmittedAt = now, StartedAt = now,
        });
    }

    /// <summary>Waits until the saga has finalized the statement (its instance is gone from the repository).</summary>
    public async Task WaitUntilEndedAsync(string id)
    {
        var repository = _host.Services.GetRequiredService<ILoadSagaRepository<StatementState>>();
        using var timeout = new CancellationTokenSource(Timeout);
        while (await repository.Load(Guid.Parse(id)) is not null)
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"The saga of {id} had not ended within {Timeout.TotalSeconds} s.");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Stops the host; stopping it again does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopped)
        {
            return;
        }
        _stopped = true;
        using var stopping = new CancellationTokenSource(Timeout);
        await _host.StopAsync(stopping.Token);
        _host.Dispose();
    }
}
