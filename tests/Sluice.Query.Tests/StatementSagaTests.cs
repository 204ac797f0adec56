using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts.Messages;
using Sluice.Query.StateMachines;

namespace Sluice.Query.Tests;

/// <summary>The statement saga on MassTransit's test harness.</summary>
public sealed class StatementSagaTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task StatementStateMachine_SubmittedStartedEnded_RecordsTheEndAndRemovesTheInstance()
    {
        await using var provider = HarnessWith();
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var saga = harness.GetSagaStateMachineHarness<StatementStateMachine, StatementState>();
        var id = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;

        await harness.Bus.Publish(new StatementSubmitted { StatementId = id.ToString(), Database = "dev", Sql = "SELECT 1", Caller = "test", SubmittedAt = now });
        Assert.NotNull(await saga.Exists(id, m => m.Submitted, Timeout));
        await harness.Bus.Publish(new StatementStarted { StatementId = id.ToString(), StartedAt = now });
        Assert.NotNull(await saga.Exists(id, m => m.Started, Timeout));
        await harness.Bus.Publish(Ended(id, "FINISHED", rows: 7));

        Assert.Null(await saga.NotExists(id, Timeout));
        var instance = saga.Sagas.Contains(id)!;
        Assert.Equal("FINISHED", instance.Outcome);
        Assert.Equal(7, instance.RowCount);
        Assert.Equal("SELECT 1", instance.Sql);
        // An embedded engine reports its own end: no re-check was asked for.
        Assert.False(await harness.Published.Any<CheckStatement>());
    }

    [Fact]
    public async Task StatementStateMachine_RemoteStatement_RechecksWithGrowingDelaysUntilFinished()
    {
        const int StillRunningAnswers = 5;
        await using var provider = HarnessWith(bus => bus.AddHandler<CheckStatement>(async context =>
        {
            // Plays the checking consumer at once (the delay itself is the consumer's to wait):
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
        }));
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var saga = harness.GetSagaStateMachineHarness<StatementStateMachine, StatementState>();
        var id = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;

        await harness.Bus.Publish(new StatementSubmitted { StatementId = id.ToString(), Database = "dev", Sql = "SELECT 1", Caller = "test", SubmittedAt = now });
        await harness.Bus.Publish(new StatementStarted { StatementId = id.ToString(), StartedAt = now, RemoteStatementId = "remote-1" });

        Assert.Null(await saga.NotExists(id, Timeout));
        var checks = harness.Published.Select<CheckStatement>().Select(m => m.Context.Message).Where(m => m.StatementId == id.ToString()).OrderBy(m => m.Attempt).ToList();
        // First delay 100 ms (see HarnessWith), doubling, capped at 1 s.
        Assert.Equal([1, 2, 3, 4, 5, 6], checks.Select(c => c.Attempt));
        Assert.Equal([100, 200, 400, 800, 1000, 1000], checks.Select(c => c.Delay.TotalMilliseconds));
        var instance = saga.Sagas.Contains(id)!;
        Assert.Equal("FINISHED", instance.Outcome);
        Assert.Equal(42, instance.RowCount);
        Assert.Equal(StillRunningAnswers, instance.StatusChecks);
        Assert.Equal("remote-1", instance.RemoteStatementId);
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

    private static ServiceProvider HarnessWith(Action<IBusRegistrationConfigurator>? more = null) =>
        new ServiceCollection()
            .Configure<QueryOptions>(o =>
            {
                o.Redshift.FirstStatusCheckDelay = TimeSpan.FromMilliseconds(100);
                o.Redshift.MaxStatusCheckDelay = TimeSpan.FromSeconds(1);
            })
            .AddMassTransitTestHarness(bus =>
            {
                bus.AddStatementSaga();
                more?.Invoke(bus);
            })
            .BuildServiceProvider(true);

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
