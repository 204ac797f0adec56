using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Contracts.Messages;
using Sluice.Query.Engines;
using Sluice.Query.Persistence;
using Sluice.Query.Statements;
using Sluice.Query.V1;
using Sluice.ServiceDefaults;

namespace Sluice.Query.StateMachines;

/// <summary>The query service's part of the message bus.</summary>
public static class StatementBusRegistration
{
    /// <summary>The saga type name of statement sagas in the PostgreSQL saga table.</summary>
    public const string SagaType = "statement";

    /// <summary>
    /// Adds the statement saga (one partition per statement) to a bus, its instances in memory or
    /// in the PostgreSQL state database (then the container must hold a <see cref="PostgresStateDatabase"/>).
    /// The bus needs a message scheduler for the saga's delayed re-checks (AddSluiceBus gives every
    /// transport one; a bus built otherwise adds AddDelayedMessageScheduler and UseDelayedMessageScheduler).
    /// </summary>
    public static IBusRegistrationConfigurator AddStatementSaga(this IBusRegistrationConfigurator bus, StateStoreKind store = StateStoreKind.Memory)
    {
        var saga = bus.AddSagaStateMachine<StatementStateMachine, StatementState, StatementStateDefinition>();
        if (store == StateStoreKind.Postgres)
        {
            saga.PostgresRepository(SagaType, s => s.CurrentState);
        }
        else
        {
            saga.InMemoryRepository();
        }
        return bus;
    }

    /// <summary>
    /// Adds the saga and the consumers that act on the statement manager: <see cref="SubmitStatement"/>
    /// and the saga's <see cref="CheckStatement"/> re-checks.
    /// </summary>
    public static IBusRegistrationConfigurator AddStatementSagaAndConsumers(this IBusRegistrationConfigurator bus, StateStoreKind store = StateStoreKind.Memory)
    {
        bus.AddStatementSaga(store);
        bus.AddConsumer<SubmitStatementConsumer>();
        bus.AddConsumer<CheckStatementConsumer, CheckStatementConsumerDefinition>();
        return bus;
    }

    /// <summary>
    /// Publishes statement transitions to the bus and contributes the saga and consumers to the
    /// host's bus (<see cref="SluiceBus"/>; the host builds it once with AddSluiceBus).
    /// </summary>
    internal static void AddStatementBus(this IHostApplicationBuilder builder, StateStoreKind store)
    {
        builder.Services.AddSingleton<IStatementLifecycleObserver, StatementEventPublisher>();
        builder.Services.AddHostedService<RemoteEngineBusCheck>();
        builder.AddSluiceBusParticipant(bus => bus.AddStatementSagaAndConsumers(store));
    }
}

/// <summary>
/// Publishes the saga's lifecycle events for every statement, and the public completion event
/// (<see cref="StatementFinished"/>, <see cref="StatementFailed"/>, <see cref="StatementAborted"/>)
/// only for statements submitted with WithEvent, as the Data API sends its EventBridge event only
/// then. The public event goes first, so once the saga has seen <see cref="StatementEnded"/> any
/// public event for the statement has been published.
/// </summary>
internal sealed class StatementEventPublisher(IServiceProvider services) : IStatementLifecycleObserver
{
    public async Task OnTransitionAsync(StatementTransition t, CancellationToken cancellationToken)
    {
        // Resolved per call: the bus is registered after the statement manager in some hosts.
        var bus = services.GetService<IBus>();
        if (bus is null)
        {
            return;
        }
        switch (t.Status)
        {
            case StatementStatus.Submitted:
                await bus.Publish(new StatementSubmitted
                {
                    StatementId = t.StatementId, Database = t.Database, Sql = t.QueryString, StatementName = t.StatementName, Caller = t.Caller, SubmittedAt = t.At,
                }, cancellationToken).ConfigureAwait(false);
                break;
            case StatementStatus.Started:
                await bus.Publish(new StatementStarted { StatementId = t.StatementId, StartedAt = t.At, RemoteStatementId = t.RemoteStatementId }, cancellationToken)
                    .ConfigureAwait(false);
                break;
            case StatementStatus.Finished or StatementStatus.Failed or StatementStatus.Aborted:
                if (t.WithEvent)
                {
                    await PublishCompletionAsync(bus, t, cancellationToken).ConfigureAwait(false);
                }
                await bus.Publish(new StatementEnded
                {
                    StatementId = t.StatementId, Status = StatementManager.StatusName(t.Status), HasResultSet = t.HasResultSet, RowCount = t.ResultRows,
                    DurationNanoseconds = t.DurationNanoseconds, Error = t.Error, WithEvent = t.WithEvent, EndedAt = t.At,
                }, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private static Task PublishCompletionAsync(IBus bus, StatementTransition t, CancellationToken cancellationToken) => t.Status switch
    {
        StatementStatus.Finished => bus.Publish(new StatementFinished
        {
            StatementId = t.StatementId, HasResultSet = t.HasResultSet, RowCount = t.ResultRows, DurationNanoseconds = t.DurationNanoseconds, FinishedAt = t.At,
        }, cancellationToken),
        StatementStatus.Failed => bus.Publish(new StatementFailed { StatementId = t.StatementId, Error = t.Error ?? "", FailedAt = t.At }, cancellationToken),
        _ => bus.Publish(new StatementAborted { StatementId = t.StatementId, Reason = t.Error ?? "", AbortedAt = t.At }, cancellationToken),
    };
}

/// <summary>A remote engine's statements end only through the saga's re-checks: refuses to start without a bus.</summary>
internal sealed class RemoteEngineBusCheck(ISqlEngine engine, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (engine is IRemoteSqlEngine && services.GetService<IBus>() is null)
        {
            throw new InvalidOperationException(
                "Sluice:Query:Engine is Redshift, whose statements end through the statement saga's re-checks, but the host has no message bus: call AddSluiceBus after AddQueryService.");
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
