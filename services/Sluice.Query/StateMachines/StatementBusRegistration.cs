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
        bus.AddConsumer<SubmitStatementConsumer, SubmitStatementConsumerDefinition>();
        bus.AddConsumer<CheckStatementConsumer, CheckStatementConsumerDefinition>();
        return bus;
    }

    /// <summary>
    /// Publishes statement transitions to the bus and contributes the saga and consumers to the
    /// host's bus (<see cref="SluiceBus"/>; the host builds it once with AddSluiceBus).
    /// </summary>
    internal static void AddStatementBus(this IHostApplicationBuilder builder, StateStoreKind store)
    {
        if (store == StateStoreKind.Postgres)
        {
            // Written with the statement in one transaction, published by the relay.
            builder.Services.AddSingleton<StatementOutboxRelay>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<StatementOutboxRelay>());
        }
        else
        {
            builder.Services.AddSingleton<IStatementLifecycleObserver, StatementEventPublisher>();
        }
        builder.Services.AddHostedService<RemoteEngineBusCheck>();
        builder.AddSluiceBusParticipant(bus => bus.AddStatementSagaAndConsumers(store));
        // The saga consumed these until it followed only remote statements (RemoteStatementStarted).
        builder.RetireSluiceBusSubscription(StatementStateDefinition.QueueName, typeof(StatementSubmitted));
        builder.RetireSluiceBusSubscription(StatementStateDefinition.QueueName, typeof(StatementStarted));
    }
}

/// <summary>
/// Publishes each transition's messages (<see cref="StatementEvents"/>) straight to the bus: the
/// embedded profile's way. The durable profile writes them to the outbox with the statement instead
/// (<see cref="StatementOutbox"/>), so a crash between the two loses nothing.
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
        foreach (var message in StatementEvents.For(t))
        {
            await bus.Publish(message, message.GetType(), cancellationToken).ConfigureAwait(false);
        }
    }
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
