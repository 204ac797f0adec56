using Sluice.Contracts.Messages;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.StateMachines;

/// <summary>
/// The messages a statement transition announces, in the order they are published: the public
/// lifecycle events for every statement (<see cref="StatementSubmitted"/>, <see cref="StatementStarted"/>),
/// the public completion event (<see cref="StatementFinished"/>, <see cref="StatementFailed"/>,
/// <see cref="StatementAborted"/>) only for statements submitted with WithEvent, as the Data API
/// sends its EventBridge event only then, and the saga's messages only for statements on a remote
/// warehouse (<see cref="RemoteStatementStarted"/>, <see cref="StatementEnded"/>; see
/// <see cref="StatementStateMachine"/>). The public event goes first, so once the saga has seen
/// <see cref="StatementEnded"/> any public event for the statement has been published.
/// </summary>
internal static class StatementEvents
{
    public static IReadOnlyList<object> For(StatementTransition t) => t.Status switch
    {
        StatementStatus.Submitted => [new StatementSubmitted
        {
            StatementId = t.StatementId, Database = t.Database, Sql = t.QueryString, StatementName = t.StatementName, Caller = t.Caller, SubmittedAt = t.At,
        }],
        StatementStatus.Started when t.RemoteStatementId is { } remoteId => [Started(t), RemoteStarted(t, remoteId)],
        StatementStatus.Started => [Started(t)],
        StatementStatus.Finished or StatementStatus.Failed or StatementStatus.Aborted => (t.WithEvent, HasSaga(t)) switch
        {
            (true, true) => [Completion(t), Ended(t)],
            (true, false) => [Completion(t)],
            (false, true) => [Ended(t)],
            _ => [],
        },
        _ => [],
    };

    /// <summary>The transition a stored record is at (the outbox derives its messages from the record it writes).</summary>
    public static StatementTransition Of(StatementRecord r) => new(r.Id, r.Status, r.Caller, r.Database, string.Join(";\n", r.Sqls), r.StatementName, r.WithEvent,
        r.Parts.Count > 0 && r.Parts[^1].HasResultSet, r.Parts.Count > 0 ? r.Parts[^1].ResultRows : 0, r.DurationNanoseconds, r.Error, r.UpdatedAt, r.RemoteId, r.CreatedAt);

    /// <summary>A statement has a saga once a remote warehouse has taken it (it then has the remote id to its end).</summary>
    private static bool HasSaga(StatementTransition t) => t.RemoteStatementId is not null;

    private static StatementStarted Started(StatementTransition t) => new() { StatementId = t.StatementId, StartedAt = t.At, RemoteStatementId = t.RemoteStatementId };

    private static RemoteStatementStarted RemoteStarted(StatementTransition t, string remoteId) => new()
    {
        StatementId = t.StatementId, RemoteStatementId = remoteId, Database = t.Database, Sql = t.QueryString, StatementName = t.StatementName, Caller = t.Caller,
        SubmittedAt = t.SubmittedAt ?? t.At, StartedAt = t.At,
    };

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
