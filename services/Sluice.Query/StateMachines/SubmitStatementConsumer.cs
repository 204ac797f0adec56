using MassTransit;
using Sluice.Contracts.Messages;
using Sluice.Query.Persistence;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.StateMachines;

/// <summary>
/// Starts a statement submitted by message; a refused one is published as <see cref="StatementFailed"/>.
/// A redelivered message (same message id) is handled once (<see cref="IMessageInbox"/>): it would
/// otherwise be refused as a duplicate statement id and announce a failure of a statement that runs.
/// </summary>
public sealed class SubmitStatementConsumer(StatementManager manager, IMessageInbox inbox, TimeProvider time) : IConsumer<SubmitStatement>
{
    public async Task Consume(ConsumeContext<SubmitStatement> context)
    {
        if (context.MessageId is not { } messageId)
        {
            await SubmitAsync(context).ConfigureAwait(false);
            return;
        }
        await inbox.HandleOnceAsync(nameof(SubmitStatementConsumer), messageId, () => SubmitAsync(context), context.CancellationToken).ConfigureAwait(false);
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
            var parameters = message.Parameters.Select(p => new SqlParameter { Name = p.Key, Value = p.Value }).ToList();
            await manager.SubmitAsync(new StatementSubmission(message.Caller, message.Database, [message.Sql], IsBatch: false, parameters,
                message.StatementName, WithEvent: true, StatementId: id.ToString())).ConfigureAwait(false);
        }
        catch (QueryException exception) when (exception.Type != QueryErrorType.DatabaseConnectionException)
        {
            // Refused for what it asks (a store that cannot record it throws instead: the message is retried or kept in the error queue).
            await context.Publish(new StatementFailed { StatementId = message.StatementId, Error = exception.Message, FailedAt = time.GetUtcNow() }).ConfigureAwait(false);
        }
    }
}
