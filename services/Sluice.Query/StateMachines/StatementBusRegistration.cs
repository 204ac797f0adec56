using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Contracts.Messages;
using Sluice.Query.Statements;
using Sluice.Query.V1;
using Sluice.ServiceDefaults;

namespace Sluice.Query.StateMachines;

/// <summary>The query service's part of the message bus.</summary>
public static class StatementBusRegistration
{
    /// <summary>
    /// Adds the statement saga (in-memory repository) and the <see cref="SubmitStatement"/>
    /// consumer to a bus.
    /// </summary>
    public static IBusRegistrationConfigurator AddStatementSaga(this IBusRegistrationConfigurator bus)
    {
        bus.AddSagaStateMachine<StatementStateMachine, StatementState>().InMemoryRepository();
        bus.AddConsumer<SubmitStatementConsumer>();
        return bus;
    }

    /// <summary>
    /// Publishes statement transitions to the bus and contributes the saga and consumer to the
    /// host's bus (<see cref="SluiceBus"/>; the host builds it once with AddSluiceBus).
    /// </summary>
    internal static void AddStatementBus(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IStatementLifecycleObserver, StatementEventPublisher>();
        builder.AddSluiceBusParticipant(bus => bus.AddStatementSaga());
    }
}

/// <summary>Publishes the saga's events for every statement transition.</summary>
internal sealed class StatementEventPublisher(IServiceProvider services) : IStatementLifecycleObserver
{
    public Task OnTransitionAsync(StatementTransition t, CancellationToken cancellationToken)
    {
        // Resolved per call: the bus is registered after the statement manager in some hosts.
        var bus = services.GetService<IBus>();
        if (bus is null)
        {
            return Task.CompletedTask;
        }
        return t.Status switch
        {
            StatementStatus.Submitted => bus.Publish(new StatementSubmitted
            {
                StatementId = t.StatementId, Database = t.Database, Sql = t.QueryString, StatementName = t.StatementName, Caller = t.Caller, SubmittedAt = t.At,
            }, cancellationToken),
            StatementStatus.Started => bus.Publish(new StatementStarted { StatementId = t.StatementId, StartedAt = t.At }, cancellationToken),
            StatementStatus.Finished => bus.Publish(new StatementFinished
            {
                StatementId = t.StatementId, HasResultSet = t.HasResultSet, RowCount = t.ResultRows, DurationNanoseconds = t.DurationNanoseconds, FinishedAt = t.At,
            }, cancellationToken),
            StatementStatus.Failed => bus.Publish(new StatementFailed { StatementId = t.StatementId, Error = t.Error ?? "", FailedAt = t.At }, cancellationToken),
            StatementStatus.Aborted => bus.Publish(new StatementAborted { StatementId = t.StatementId, Reason = t.Error ?? "", AbortedAt = t.At }, cancellationToken),
            _ => Task.CompletedTask,
        };
    }
}
