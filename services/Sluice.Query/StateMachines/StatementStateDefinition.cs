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
    /// <summary>The saga's queue: "StatementState", the name the default formatter gave it before it was fixed here.</summary>
    public const string QueueName = "StatementState";

    private const int Partitions = 16;

    /// <summary>
    /// Saga steps in flight on the endpoint: one per partition, so every partition is kept busy.
    /// The transports' defaults (a prefetch of twice the core count on RabbitMQ, 10 on SQS) left a
    /// burst of statements queued behind a handful of steps that each wait on the broker.
    /// </summary>
    public const int ConcurrentSteps = Partitions;

    /// <summary>Messages held unacknowledged per endpoint: enough that a step never waits for the next delivery.</summary>
    public const int Prefetch = 2 * ConcurrentSteps;

    public StatementStateDefinition()
    {
        EndpointName = QueueName;
        ConcurrentMessageLimit = ConcurrentSteps;
        Endpoint(e => e.PrefetchCount = Prefetch);
    }

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
        sagaConfigurator.Message<RemoteStatementStarted>(x => x.UsePartitioner(partition, m => m.Message.StatementId));
        sagaConfigurator.Message<StatementStillRunning>(x => x.UsePartitioner(partition, m => m.Message.StatementId));
        sagaConfigurator.Message<StatementEnded>(x => x.UsePartitioner(partition, m => m.Message.StatementId));
    }
}
