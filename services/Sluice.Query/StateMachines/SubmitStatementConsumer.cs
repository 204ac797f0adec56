using MassTransit;
using Sluice.Contracts.Messages;
using Sluice.Query.Persistence;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.StateMachines;

/// <summary>
/// Starts a statement submitted by message; a refused one is published as <see cref="StatementFailed"/>.
/// <list type="bullet">
/// <item>A redelivered message (same message id) is handled once (<see cref="IMessageInbox"/>): it would
/// otherwise be refused as a duplicate statement id and announce a failure of a statement that runs.</item>
/// <item>A command over the caller's active-statement quota is not refused: it waits here, held by the
/// broker unacknowledged, until running statements end. A burst of commands is the broker's to queue,
/// so none is lost to load, and the consumer's concurrency limit bounds how many wait. The wait is
/// outside the inbox, whose PostgreSQL transaction stays open only while a statement is submitted.</item>
/// </list>
/// </summary>
public sealed class SubmitStatementConsumer(StatementManager manager, IMessageInbox inbox, TimeProvider time) : IConsumer<SubmitStatement>
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(500);

    public async Task Consume(ConsumeContext<SubmitStatement> context)
    {
        for (var pause = FirstPause; ; pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks)))
        {
            try
            {
                if (context.MessageId is { } messageId)
                {
                    await inbox.HandleOnceAsync(nameof(SubmitStatementConsumer), messageId, () => SubmitAsync(context), context.CancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await SubmitAsync(context).ConfigureAwait(false);
                }
                return;
            }
            catch (QueryException exception) when (exception.Type is QueryErrorType.ActiveStatementsExceededException or QueryErrorType.ServiceUnavailableException)
            {
                // The inbox row was rolled back with the refusal. Cancelled when the endpoint
                // stops: the message is then redelivered, not lost. A service that is stopping
                // admits nothing more, so its commands wait here, unacknowledged, for the next one.
                await Task.Delay(pause, context.CancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task SubmitAsync(ConsumeContext<SubmitStatement> context)
    {
        var message = context.Message;
        try
        {
            if (!Guid.TryParse(message.StatementId, out var id))
            {
                throw QueryException.Validation("StatementId", $"StatementId '{message.StatementId}' is not a UUID.");
            }
            if (await manager.IsAcceptedAsync(id.ToString(), context.CancellationToken).ConfigureAwait(false))
            {
                // An earlier delivery accepted it, and its acknowledgement (or inbox row) was lost
                // with the broker connection or the process: the statement runs or ran; nothing to refuse.
                return;
            }
            var parameters = message.Parameters.Select(p => new SqlParameter { Name = p.Key, Value = p.Value }).ToList();
            await manager.SubmitAsync(new StatementSubmission(message.Caller, message.Database, [message.Sql], IsBatch: false, parameters,
                message.StatementName, WithEvent: true, StatementId: id.ToString())).ConfigureAwait(false);
        }
        catch (QueryException exception) when (exception.Type is not (QueryErrorType.DatabaseConnectionException or QueryErrorType.ActiveStatementsExceededException
            or QueryErrorType.ServiceUnavailableException))
        {
            // Refused for what it asks. A store that cannot record it throws instead (the message is
            // retried or kept in the error queue), and a full quota is waited out by Consume.
            await context.Publish(new StatementFailed { StatementId = message.StatementId, Error = exception.Message, FailedAt = time.GetUtcNow() }).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// The SubmitStatement endpoint's limits. A command holds its message only while the statement is
/// recorded (or while it waits out the caller's quota), so a few dozen at once keep the statement
/// manager's execution slots fed without holding a burst in memory.
/// </summary>
public sealed class SubmitStatementConsumerDefinition : ConsumerDefinition<SubmitStatementConsumer>
{
    /// <summary>Commands handled at once on one endpoint.</summary>
    public const int ConcurrentCommands = 32;

    public SubmitStatementConsumerDefinition()
    {
        ConcurrentMessageLimit = ConcurrentCommands;
        Endpoint(e => e.PrefetchCount = 2 * ConcurrentCommands);
    }
}
