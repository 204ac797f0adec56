using Sluice.Contracts.Messages;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.StateMachines;

/// <summary>
/// The messages a statement transition announces, in the order they are published: the saga's
/// lifecycle events for every statement, and the public completion event (<see cref="StatementFinished"/>,
/// <see cref="StatementFailed"/>, <see cref="StatementAborted"/>) only for statements submitted with
/// WithEvent, as the Data API sends its EventBridge event only then. The public event goes first,
/// so once the saga has seen <see cref="StatementEnded"/> any public event for the statement has been published.
/// </summary>
internal static class StatementEvents
{
    public static IReadOnlyList<object> For(StatementTransition t) => t.Status switch
    {
        StatementStatus.Submitted => [new StatementSubmitted
        {
            StatementId = t.StatementId, Database = t.Database, Sql = t.QueryString, StatementName = t.StatementName, Caller = t.Caller, SubmittedAt = t.At,
        }],
        StatementStatus.Started => [new StatementStarted { StatementId = t.StatementId, StartedAt = t.At, RemoteStatementId = t.RemoteStatementId }],
        StatementStatus.Finished or StatementStatus.Failed or StatementStatus.Aborted => t.WithEvent ? [Completion(t), Ended(t)] : [Ended(t)],
        _ => [],
    };

    /// <summary>The transition a stored record is at (the outbox derives its messages from the record it writes).</summary>
    public static StatementTransition Of(StatementRecord r) => new(r.Id, r.Status, r.Caller, r.Database, string.Join(";\n", r.Sqls), r.StatementName, r.WithEvent,
        r.Parts.Count > 0 && r.Parts[^1].HasResultSet, r.Parts.Count > 0 ? r.Parts[^1].ResultRows : 0, r.DurationNanoseconds, r.Error, r.UpdatedAt, r.RemoteId);

    private static StatementEnded Ended(StatementTransition t) => new()
    {
        StatementId = t.StatementId, Status = StatementManager.StatusName(t.Status), HasResultSet = t.HasResultSet, RowCount = t.ResultRows,
        DurationNanoseconds = t.DurationNanoseconds, Error = t.Error, WithEvent = t.WithEvent, EndedAt = t.At,
    };

    private static object Completion(StatementTransition t) => t.Status switch
    {
        StatementStatus.Finished => new StatementFinished
        {
            StatementId = t.StatementId, HasResultSet = t.HasResultSet, RowCount = t.ResultRows, DurationNanoseconds = t.DurationNanoseconds, FinishedAt = t.At,
        },
        StatementStatus.Failed => new StatementFailed { StatementId = t.StatementId, Error = t.Error ?? "", FailedAt = t.At },
        _ => new StatementAborted { StatementId = t.StatementId, Reason = t.Error ?? "", AbortedAt = t.At },
    };
}
