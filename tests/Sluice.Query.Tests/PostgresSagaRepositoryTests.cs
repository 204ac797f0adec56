using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Query.Persistence;
using Sluice.Query.StateMachines;
using Sluice.ServiceDefaults;

namespace Sluice.Query.Tests;

/// <summary>
/// The PostgreSQL saga repository's semantics on the real servers (SLUICE_TEST_POSTGRES,
/// SLUICE_TEST_RABBITMQ): optimistic concurrency, missing instances, and instances that outlive
/// the query service's process.
/// </summary>
[Collection(RabbitMqBroker.Collection)]
public sealed class PostgresSagaRepositoryTests(StateDatabaseFixture database) : IClassFixture<StateDatabaseFixture>
{
    private static readonly TimeSpan Timeout = SagaBusHost.Timeout;

    private Dictionary<string, string?> Configuration() => new(RabbitMqBroker.BusConfiguration().Concat(database.Settings()));

    /// <summary>
    /// Another writer (a replica handling a redelivered check answer, played here by a direct
    /// write) changes the instance between the saga's load and its update of StatementStillRunning.
    /// The update is refused by version, the message handled again on the new state: both changes
    /// survive, and the re-check the lost attempt scheduled was never sent.
    /// </summary>
    [Fact]
    public async Task Update_AnotherWriterChangedTheInstance_IsRetriedOnItsStateAndKeepsBothChanges()
    {
        var script = new CheckScript(stillRunningAnswers: 1);
        var id = script.Expect();
        var competitor = new CompetingWriter(database.ConnectionString, Guid.Parse(id), competingSql: "SELECT 'written by the other replica'");
        var ends = new FinalInstances();
        await using var host = await SagaBusHost.StartAsync(Configuration(), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200), saga: true, script,
            services =>
            {
                var machine = services.GetRequiredService<StatementStateMachine>();
                machine.ConnectEventObserver(machine.StatementStillRunning, competitor);
                machine.ConnectStateObserver(ends);
            });

        await host.StartRemoteStatementAsync(id);
        // Waits for the final state first: polling for the instance's removal alone could find no instance before the
        // saga had even created it.
        var end = await ends.WaitForAsync(Guid.Parse(id), Timeout);
        await host.WaitUntilEndedAsync(id);

        Assert.Equal(2, competitor.Attempts); // The first lost the race, the retry won.
        Assert.Equal("SELECT 'written by the other replica'", end.Sql); // The other writer's change.
        Assert.Equal(1, end.StatusChecks); // This message's change.
        Assert.Equal("FINISHED", end.Outcome);
        // The second check once: not one from the lost attempt too.
        Assert.Equal([1, 2], script.Seen(id).Select(c => c.Attempt));
    }

    /// <summary>A message for an instance that does not exist, whose event may not create one, faults: it is not dropped.</summary>
    [Fact]
    public async Task Send_EventForAnUnknownInstance_FaultsAndCreatesNothing()
    {
        await using var host = await ProbeHost.StartAsync(Configuration());
        var known = Guid.NewGuid();
        var unknown = Guid.NewGuid();

        var repository = host.Services.GetRequiredService<ILoadSagaRepository<ProbeState>>();
        using var timeout = new CancellationTokenSource(Timeout);
        await host.Bus.Publish(new ProbeOpened(known));
        // Stored before it is poked: the endpoint handles messages concurrently, so a poke sent
        // right behind the opening could be handled first and find no instance (seen under load).
        while (await repository.Load(known) is null)
        {
            Assert.False(timeout.IsCancellationRequested, $"The known probe was not opened within {Timeout.TotalSeconds} s.");
            await Task.Delay(20);
        }
        await host.Bus.Publish(new ProbePoked(known));
        await host.Bus.Publish(new ProbePoked(unknown));

        var fault = await host.Faults.WaitForAsync(unknown, Timeout);
        Assert.Contains(fault.Exceptions, e => e.ExceptionType.Contains("SagaException", StringComparison.Ordinal));
        Assert.Null(await repository.Load(unknown));
        while ((await repository.Load(known))?.Pokes != 1)
        {
            Assert.False(timeout.IsCancellationRequested, $"The known probe was not poked within {Timeout.TotalSeconds} s.");
            await Task.Delay(20);
        }
        Assert.False(host.Faults.Contains(known));
    }

    /// <summary>
    /// A statement on a remote warehouse waits for its second re-check when the query service
    /// stops. A new service on the same database and broker gets the check when it is due, and
    /// ends the saga from the instance the first one stored.
    /// </summary>
    [Fact]
    public async Task Saga_WaitingForARecheck_SurvivesTheHostBeingReplacedAndCompletes()
    {
        var delay = TimeSpan.FromSeconds(3);
        var first = new CheckScript(stillRunningAnswers: 1);
        var second = new CheckScript(stillRunningAnswers: 1);
        var id = first.Expect();
        second.Expect(id);
        var ends = new FinalInstances();
        var stopped = await SagaBusHost.StartAsync(Configuration(), delay, delay, saga: true, first);
        await using (stopped)
        {
            await stopped.StartRemoteStatementAsync(id);
            // The first check answered "still running": the instance is stored with it, the next check scheduled.
            var repository = stopped.Services.GetRequiredService<ILoadSagaRepository<StatementState>>();
            using var timeout = new CancellationTokenSource(Timeout);
            while ((await repository.Load(Guid.Parse(id)))?.StatusChecks != 1)
            {
                Assert.False(timeout.IsCancellationRequested, $"The first re-check of {id} was not recorded within {Timeout.TotalSeconds} s.");
                await Task.Delay(20);
            }
        }

        await using var replacement = await SagaBusHost.StartAsync(Configuration(), delay, delay, saga: true, second,
            services => services.GetRequiredService<StatementStateMachine>().ConnectStateObserver(ends));
        await second.WaitForAttemptAsync(id, 2);
        await replacement.WaitUntilEndedAsync(id);

        Assert.Equal([1], first.Seen(id).Select(c => c.Attempt));
        Assert.Equal([2], second.Seen(id).Select(c => c.Attempt));
        // Ended on the stored instance (a fresh one would not know the remote id or the first check).
        var end = ends.Of(Guid.Parse(id));
        Assert.Equal("FINISHED", end.Outcome);
        Assert.Equal(1, end.StatusChecks);
        Assert.Equal("remote-" + id, end.RemoteStatementId);
    }

    [Fact]
    public async Task Migrate_TwoReplicasStartingTogether_ApplyEachScriptOnce()
    {
        await using var fresh = await TestPostgresDatabase.CreateAsync("sluice_state_");
        var options = Microsoft.Extensions.Options.Options.Create(new StateStoreOptions { Store = StateStoreKind.Postgres, ConnectionString = fresh.ConnectionString });
        var replicas = Enumerable.Range(0, 4).Select(_ => new PostgresStateDatabase(options, Microsoft.Extensions.Logging.Abstractions.NullLogger<PostgresStateDatabase>.Instance)).ToList();

        await Task.WhenAll(replicas.Select(r => r.EnsureSchemaAsync(CancellationToken.None)));

        await using var connection = new NpgsqlConnection(fresh.ConnectionString);
        await connection.OpenAsync();
        await using var versions = new NpgsqlCommand("SELECT version FROM sluice_query.schema_version ORDER BY version", connection);
        var applied = new List<int>();
        await using (var reader = await versions.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                applied.Add(reader.GetInt32(0));
            }
        }
        Assert.Equal(StateSchema.Migrations.Select(m => m.Version), applied);
        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }
    }
}

/// <summary>Plays a second writer: after the saga handled the event, before its update, changes the stored instance once.</summary>
internal sealed class CompetingWriter(string connectionString, Guid id, string competingSql) : IEventObserver<StatementState>
{
    private int _attempts;

    public int Attempts => Volatile.Read(ref _attempts);

    public async Task PostExecute<T>(BehaviorContext<StatementState, T> context)
        where T : class
    {
        if (context.Saga.CorrelationId != id || Interlocked.Increment(ref _attempts) != 1)
        {
            return;
        }
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var write = new NpgsqlCommand("""
            UPDATE sluice_query.saga_instances SET data = jsonb_set(data, '{Sql}', to_jsonb($2::text)), version = version + 1
            WHERE saga_type = 'statement' AND correlation_id = $1
            """, connection)
        {
            Parameters = { new() { Value = id }, new() { Value = competingSql } },
        };
        Assert.Equal(1, await write.ExecuteNonQueryAsync());
    }

    public Task PreExecute(BehaviorContext<StatementState> context) => Task.CompletedTask;

    public Task PreExecute<T>(BehaviorContext<StatementState, T> context)
        where T : class => Task.CompletedTask;

    public Task PostExecute(BehaviorContext<StatementState> context) => Task.CompletedTask;

    public Task ExecuteFault(BehaviorContext<StatementState> context, Exception exception) => Task.CompletedTask;

    public Task ExecuteFault<T>(BehaviorContext<StatementState, T> context, Exception exception)
        where T : class => Task.CompletedTask;
}

/// <summary>Copies of instances as the saga finalized them.</summary>
internal sealed class FinalInstances : IStateObserver<StatementState>
{
    private readonly Dictionary<Guid, StatementState> _ends = [];

    public Task StateChanged(BehaviorContext<StatementState> context, State currentState, State previousState)
    {
        if (currentState.Name == "Final")
        {
            lock (_ends)
            {
                var s = context.Saga;
                _ends[s.CorrelationId] = new StatementState
                {
                    CorrelationId = s.CorrelationId, CurrentState = s.CurrentState, Sql = s.Sql, RemoteStatementId = s.RemoteStatementId, StatusChecks = s.StatusChecks,
                    Outcome = s.Outcome, RowCount = s.RowCount,
                };
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>Waits until the saga has finalized <paramref name="id"/>; its instance is removed right after.</summary>
    public async Task<StatementState> WaitForAsync(Guid id, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            lock (_ends)
            {
                if (_ends.TryGetValue(id, out var end))
                {
                    return end;
                }
            }
            Assert.False(cancel.IsCancellationRequested, $"The saga of {id} was not finalized within {timeout.TotalSeconds} s.");
            await Task.Delay(20);
        }
    }

    public StatementState Of(Guid id)
    {
        lock (_ends)
        {
            return _ends.TryGetValue(id, out var end) ? end : throw new Xunit.Sdk.XunitException($"The saga of {id} was not finalized.");
        }
    }
}

public sealed class ProbeState : SagaStateMachineInstance
{
    public Guid CorrelationId { get; set; }

    public string CurrentState { get; set; } = "";

    public int Pokes { get; set; }
}

public sealed record ProbeOpened(Guid ProbeId);

public sealed record ProbePoked(Guid ProbeId);

/// <summary>
/// A saga whose ProbePoked cannot create an instance and faults when its instance is missing
/// (MassTransit's own default is to ignore it; the statement saga discards duplicates of its end).
/// </summary>
public sealed class ProbeStateMachine : MassTransitStateMachine<ProbeState>
{
    public ProbeStateMachine()
    {
        InstanceState(x => x.CurrentState);
        Event(() => Opened, e => e.CorrelateById(c => c.Message.ProbeId));
        Event(() => Poked, e =>
        {
            e.CorrelateById(c => c.Message.ProbeId);
            e.OnMissingInstance(m => m.Fault());
        });
        Initially(When(Opened).TransitionTo(Open));
        During(Open, When(Poked).Then(c => c.Saga.Pokes++));
    }

    public State Open { get; private set; } = null!;

    public Event<ProbeOpened> Opened { get; private set; } = null!;

    public Event<ProbePoked> Poked { get; private set; } = null!;
}

/// <summary>The faults of ProbePoked published by the bus.</summary>
public sealed class ProbeFaults : IConsumer<Fault<ProbePoked>>
{
    private readonly Dictionary<Guid, Fault<ProbePoked>> _faults = [];

    public Task Consume(ConsumeContext<Fault<ProbePoked>> context)
    {
        lock (_faults)
        {
            _faults[context.Message.Message.ProbeId] = context.Message;
        }
        return Task.CompletedTask;
    }

    public bool Contains(Guid id)
    {
        lock (_faults)
        {
            return _faults.ContainsKey(id);
        }
    }

    public async Task<Fault<ProbePoked>> WaitForAsync(Guid id, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            lock (_faults)
            {
                if (_faults.TryGetValue(id, out var fault))
                {
                    return fault;
                }
            }
            Assert.False(cancel.IsCancellationRequested, $"No Fault<ProbePoked> for {id} within {timeout.TotalSeconds} s.");
            await Task.Delay(20);
        }
    }
}

/// <summary>A host with the probe saga on the PostgreSQL repository and the bus AddSluiceBus builds.</summary>
internal sealed class ProbeHost : IAsyncDisposable
{
    private readonly IHost _host;

    private ProbeHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IBus Bus => _host.Services.GetRequiredService<IBus>();

    public ProbeFaults Faults => _host.Services.GetRequiredService<ProbeFaults>();

    public static async Task<ProbeHost> StartAsync(IReadOnlyDictionary<string, string?> configuration)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development" });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddQueryStateStore();
        builder.Services.AddSingleton<ProbeFaults>();
        builder.AddSluiceBusParticipant(bus =>
        {
            bus.AddSagaStateMachine<ProbeStateMachine, ProbeState>().PostgresRepository("probe", s => s.CurrentState);
            bus.AddConsumer<ProbeFaults>();
        });
        builder.AddSluiceBus();
        var host = builder.Build();
        using var starting = new CancellationTokenSource(SagaBusHost.Timeout);
        await host.StartAsync(starting.Token);
        return new ProbeHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(SagaBusHost.Timeout);
        await _host.StopAsync(stopping.Token);
        _host.Dispose();
    }
}
