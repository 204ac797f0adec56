using MassTransit;
using Sluice.Contracts.Messages;
using Sluice.Query.Statements;

namespace Sluice.Query.StateMachines;

/// <summary>
/// Asks the remote warehouse once (DescribeStatement) whether the statement has ended, when a
/// <see cref="CheckStatement"/> is delivered: the transport has already held it for its delay (see
/// <see cref="StatementStateMachine"/>). Still running: answers the saga with
/// <see cref="StatementStillRunning"/>, which schedules the next check. Ended: the statement
/// manager copies the result and publishes the end, which finalizes the saga.
/// </summary>
public sealed class CheckStatementConsumer(StatementManager manager, TimeProvider time) : IConsumer<CheckStatement>
{
    public async Task Consume(ConsumeContext<CheckStatement> context)
    {
        var message = context.Message;
        var check = await manager.CheckRemoteStatementAsync(message.StatementId, context.CancellationToken).ConfigureAwait(false);
        if (check.Outcome == RemoteCheckOutcome.Running)
        {
            await context.Publish(new StatementStillRunning
            {
                StatementId = message.StatementId,
                Attempt = message.Attempt,
                RemoteStatus = check.RemoteStatus,
                CheckedAt = time.GetUtcNow(),
            }).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// The checking endpoint, under a fixed name because the saga sends checks to it by address. A
/// check holds its message only for one DescribeStatement call, so a modest limit serves many
/// statements at once.
/// </summary>
public sealed class CheckStatementConsumerDefinition : ConsumerDefinition<CheckStatementConsumer>
{
    /// <summary>The queue checks are sent to: "CheckStatement", the name the default formatter gave it before.</summary>
    public const string QueueName = "CheckStatement";

    /// <summary>Checks running at once on one endpoint. Defaults to 16.</summary>
    public const int ConcurrentChecks = 16;

    public CheckStatementConsumerDefinition()
    {
        EndpointName = QueueName;
        ConcurrentMessageLimit = ConcurrentChecks;
    }
}
