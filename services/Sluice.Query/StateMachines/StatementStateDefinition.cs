using MassTransit;
using Sluice.Contracts.Messages;

namespace Sluice.Query.StateMachines;

/// <summary>
/// The saga's endpoint: messages of one statement are handled one at a time, in the order they
/// arrive (a partition per statement id), so an end is never overtaken by the start it follows;
/// different statements still run concurrently.
/// </summary>
/// <remarks>
/// Partitions order messages within one process only. When replicas share the saga's queue (or a
/// redelivery overlaps a slow first attempt) two transactions may update one instance; the
/// PostgreSQL repository then refuses the later write with <see cref="ConcurrencyException"/>,
/// and the message is handled again on the state the winner left. The in-memory outbox holds
/// what an attempt sends (its scheduled re-check) until the saga's write has committed, so a lost
/// attempt sends nothing.
/// </remarks>
public sealed class StatementStateDefinition : SagaDefinition<StatementState>
{
    private const int Partitions = 16;

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<StatementState> sagaConfigurator, IRegistrationContext context)
    {
        // Each retry sees the winner's state, so a few suffice unless writers never stop.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<ConcurrencyException>();
            r.Intervals(10, 50, 100, 250, 500);
        });
        endpointConfigurator.UseInMemoryOutbox(context);
        var partition = endpointConfigurator.CreatePartitioner(Partitions);
        sagaConfigurator.Message<StatementSubmitted>(x => x.UsePartitioner(partition, m => m.Message.StatementId));
        sagaConfigurator.Message<StatementStarted>(x => x.UsePartitioner(partition, m => m.Message.StatementId));
        sagaConfigurator.Message<StatementStillRunning>(x => x.UsePartitioner(partition, m => m.Message.StatementId));
        sagaConfigurator.Message<StatementEnded>(x => x.UsePartitioner(partition, m => m.Message.StatementId));
    }
}
