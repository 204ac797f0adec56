using MassTransit;
using Sluice.Contracts.Messages;
using Sluice.Query.Statements;

namespace Sluice.Query.StateMachines;

/// <summary>
/// Waits until a <see cref="CheckStatement"/> is due, then asks the remote warehouse once
/// (DescribeStatement) whether the statement has ended. Still running: answers the saga with
/// <see cref="StatementStillRunning"/>, which sends the next check. Ended: the statement manager
/// copies the result and publishes the end, which finalizes the saga.
/// </summary>
public sealed class CheckStatementConsumer(StatementManager manager, TimeProvider time) : IConsumer<CheckStatement>
{
    public async Task Consume(ConsumeContext<CheckStatement> context)
    {
        var message = context.Message;
        var now = time.GetUtcNow();
        // Due relative to when it was sent, so a redelivered check does not wait the whole delay again.
        var sentAt = context.SentTime is { } sent ? new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)) : now;
        var wait = sentAt + message.Delay - now;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, context.CancellationToken).ConfigureAwait(false);
        }
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
/// Lets many checks wait at once: each holds only a timer while it waits, and a low limit would
/// queue the checks of every running statement behind the longest delay.
/// </summary>
public sealed class CheckStatementConsumerDefinition : ConsumerDefinition<CheckStatementConsumer>
{
    /// <summary>Checks waiting or running at once on one endpoint. Defaults to 256.</summary>
    public const int ConcurrentChecks = 256;

    public CheckStatementConsumerDefinition()
    {
        ConcurrentMessageLimit = ConcurrentChecks;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<CheckStatementConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        // RabbitMQ delivers at most PrefetchCount unacknowledged messages: as many as may wait.
        endpointConfigurator.PrefetchCount = ConcurrentChecks;
    }
}
