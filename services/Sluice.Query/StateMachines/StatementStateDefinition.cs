using MassTransit;
using Sluice.Contracts.Messages;

namespace Sluice.Query.StateMachines;

/// <summary>
/// The saga's endpoint: messages of one statement are handled one at a time, in the order they
/// arrive (a partition per statement id), so an end is never overtaken by the start it follows;
/// different statements still run concurrently.
/// </summary>
public sealed class StatementStateDefinition : SagaDefinition<StatementState>
{
    private const int Partitions = 16;

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<StatementState> sagaConfigurator, IRegistrationContext context)
    {
        var partition = endpointConfigurator.CreatePartitioner(Partitions);
        sagaConfigurator.Message<StatementSubmitted>(x => x.UsePartitioner(partition, m => m.Message.StatementId));
        sagaConfigurator.Message<StatementStarted>(x => x.UsePartitioner(partition, m => m.Message.StatementId));
        sagaConfigurator.Message<StatementStillRunning>(x => x.UsePartitioner(partition, m => m.Message.StatementId));
        sagaConfigurator.Message<StatementEnded>(x => x.UsePartitioner(partition, m => m.Message.StatementId));
    }
}
