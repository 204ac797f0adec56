using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts.Messages;
using Sluice.Query.StateMachines;

namespace Sluice.Query.Tests;

/// <summary>The statement saga on MassTransit's test harness, and submission by message through a hosted service.</summary>
public sealed class StatementSagaTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task StatementStateMachine_SubmittedStartedFinished_EndsFinishedWithRowCount()
    {
        await using var provider = new ServiceCollection()
            .AddMassTransitTestHarness(bus => bus.AddSagaStateMachine<StatementStateMachine, StatementState>().InMemoryRepository())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var saga = harness.GetSagaStateMachineHarness<StatementStateMachine, StatementState>();
        var id = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;

        await harness.Bus.Publish(new StatementSubmitted { StatementId = id.ToString(), Database = "dev", Sql = "SELECT 1", Caller = "test", SubmittedAt = now });
        Assert.NotNull(await saga.Exists(id, m => m.Submitted, Timeout));
        await harness.Bus.Publish(new StatementStarted { StatementId = id.ToString(), StartedAt = now });
        Assert.NotNull(await saga.Exists(id, m => m.Started, Timeout));
        await harness.Bus.Publish(new StatementFinished { StatementId = id.ToString(), HasResultSet = true, RowCount = 7, DurationNanoseconds = 1000, FinishedAt = now });

        Assert.NotNull(await saga.Exists(id, m => m.Finished, Timeout));
        var instance = saga.Sagas.Contains(id)!;
        Assert.Equal(7, instance.RowCount);
        Assert.Equal("SELECT 1", instance.Sql);
    }

    [Fact]
    public async Task StatementStateMachine_FailedWithoutEarlierEvents_EndsFailedWithTheError()
    {
        await using var provider = new ServiceCollection()
            .AddMassTransitTestHarness(bus => bus.AddSagaStateMachine<StatementStateMachine, StatementState>().InMemoryRepository())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var saga = harness.GetSagaStateMachineHarness<StatementStateMachine, StatementState>();
        var id = Guid.NewGuid();

        await harness.Bus.Publish(new StatementFailed { StatementId = id.ToString(), Error = "Database is required.", FailedAt = DateTimeOffset.UtcNow });

        Assert.NotNull(await saga.Exists(id, m => m.Failed, Timeout));
        Assert.Equal("Database is required.", saga.Sagas.Contains(id)!.Error);
    }

    [Fact]
    public async Task StatementStateMachine_AbortedAfterStarted_IgnoresALateFinished()
    {
        await using var provider = new ServiceCollection()
            .AddMassTransitTestHarness(bus => bus.AddSagaStateMachine<StatementStateMachine, StatementState>().InMemoryRepository())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var saga = harness.GetSagaStateMachineHarness<StatementStateMachine, StatementState>();
        var id = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;

        await harness.Bus.Publish(new StatementStarted { StatementId = id.ToString(), StartedAt = now });
        Assert.NotNull(await saga.Exists(id, m => m.Started, Timeout));
        await harness.Bus.Publish(new StatementAborted { StatementId = id.ToString(), Reason = "cancelled", AbortedAt = now });
        Assert.NotNull(await saga.Exists(id, m => m.Aborted, Timeout));
        await harness.Bus.Publish(new StatementFinished { StatementId = id.ToString(), HasResultSet = false, RowCount = 1, DurationNanoseconds = 1, FinishedAt = now });

        Assert.True(await harness.Consumed.Any<StatementFinished>(x => x.Context.Message.StatementId == id.ToString()));
        Assert.NotNull(await saga.Exists(id, m => m.Aborted, Timeout));
        Assert.Null(saga.Sagas.Contains(id)!.RowCount);
    }

    [Fact]
    public async Task SubmitStatement_ByMessageToTheHostedService_PublishesStatementFinishedWithRowCount()
    {
        await using var host = await QueryHost.StartAsync(new Dictionary<string, string?>());
        var bus = host.Services.GetRequiredService<IBus>();
        var finished = new TaskCompletionSource<StatementFinished>(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = Guid.NewGuid().ToString();
        var handle = bus.ConnectReceiveEndpoint("saga-test-" + Guid.NewGuid().ToString("N"), endpoint =>
            endpoint.Handler<StatementFinished>(context =>
            {
                if (context.Message.StatementId == id)
                {
                    finished.TrySetResult(context.Message);
                }
                return Task.CompletedTask;
            }));
        await handle.Ready.WaitAsync(Timeout);

        await bus.Publish(new SubmitStatement { StatementId = id, Database = "dev", Sql = "SELECT * FROM sales WHERE id <= :n", Parameters = new Dictionary<string, string> { ["n"] = "25" } });
        var end = await finished.Task.WaitAsync(Timeout);
        await handle.StopAsync();

        Assert.Equal(25, end.RowCount);
        Assert.True(end.HasResultSet);
    }

    [Fact]
    public async Task SubmitStatement_InvalidByMessage_PublishesStatementFailed()
    {
        await using var host = await QueryHost.StartAsync(new Dictionary<string, string?>());
        var bus = host.Services.GetRequiredService<IBus>();
        var failed = new TaskCompletionSource<StatementFailed>(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = Guid.NewGuid().ToString();
        var handle = bus.ConnectReceiveEndpoint("saga-test-" + Guid.NewGuid().ToString("N"), endpoint =>
            endpoint.Handler<StatementFailed>(context =>
            {
                if (context.Message.StatementId == id)
                {
                    failed.TrySetResult(context.Message);
                }
                return Task.CompletedTask;
            }));
        await handle.Ready.WaitAsync(Timeout);

        await bus.Publish(new SubmitStatement { StatementId = id, Database = "dev", Sql = "SELECT :missing" });
        var end = await failed.Task.WaitAsync(Timeout);
        await handle.StopAsync();

        Assert.Contains(":missing", end.Error, StringComparison.Ordinal);
    }
}
