using MassTransit;
using Sluice.Contracts.Messages;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.StateMachines;

/// <summary>
/// Starts a statement submitted by message; a refused one is published as <see cref="StatementFailed"/>.
/// A command over the caller's active-statement quota is not refused: it waits here, held by the
/// broker unacknowledged, until running statements end. A burst of commands is the broker's to
/// queue, so none is lost to load, and the consumer's concurrency limit bounds how many wait.
/// </summary>
public sealed class SubmitStatementConsumer(StatementManager manager, TimeProvider time) : IConsumer<SubmitStatement>
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(500);

    public async Task Consume(ConsumeContext<SubmitStatement> context)
    {
        var message = context.Message;
        try
        {
            if (!Guid.TryParse(message.StatementId, out var id))
            {
                throw QueryException.Validation("StatementId", $"StatementId '{message.StatementId}' is not a UUID.");
            }
            var parameters = message.Parameters.Select(p => new SqlParameter { Name = p.Key, Value = p.Value }).ToList();
            var submission = new StatementSubmission(message.Caller, message.Database, [message.Sql], IsBatch: false, parameters,
                message.StatementName, WithEvent: true, StatementId: id.ToString());
            for (var pause = FirstPause; ; pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks)))
            {
                try
                {
                    manager.Submit(submission);
                    return;
                }
                catch (QueryException exception) when (exception.Type == QueryErrorType.ActiveStatementsExceededException)
                {
                    // Cancelled when the endpoint stops: the message is then redelivered, not lost.
                    await Task.Delay(pause, context.CancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (QueryException exception)
        {
            await context.Publish(new StatementFailed { StatementId = message.StatementId, Error = exception.Message, FailedAt = time.GetUtcNow() }).ConfigureAwait(false);
        }
    }
}
