namespace Sluice.Contracts.Messages;

// Messages of the statement saga inside the query service. The saga follows statements that run
// on a remote warehouse (Redshift), whose end only its re-checks find: it starts with
// RemoteStatementStarted and ends with StatementEnded. A statement on an embedded engine reports its
// own end and has no saga, so it costs the broker only its public events. Other services react to
// the public events instead (see StatementMessages.cs).

/// <summary>
/// Event: a statement began running on a remote warehouse, which gave it <see cref="RemoteStatementId"/>.
/// Published with <see cref="StatementStarted"/> for such statements only; it carries what
/// <see cref="StatementSubmitted"/> and <see cref="StatementStarted"/> say, so that the saga, created
/// by it, needs no other message before the statement's end.
/// </summary>
public sealed record RemoteStatementStarted
{
    public required string StatementId { get; init; }

    public required string RemoteStatementId { get; init; }

    public required string Database { get; init; }

    public required string Sql { get; init; }

    public string? StatementName { get; init; }

    public required string Caller { get; init; }

    public required DateTimeOffset SubmittedAt { get; init; }

    public required DateTimeOffset StartedAt { get; init; }
}

/// <summary>
/// Event: a statement that ran on a remote warehouse ended (FINISHED, FAILED or ABORTED): the end of
/// its saga. Published for statements that had a <see cref="RemoteStatementStarted"/>.
/// </summary>
public sealed record StatementEnded
{
    public required string StatementId { get; init; }

    /// <summary>FINISHED, FAILED or ABORTED, as the Data API names them.</summary>
    public required string Status { get; init; }

    public required bool HasResultSet { get; init; }

    /// <summary>Rows returned, or rows affected by a statement without a result set; -1 when unknown.</summary>
    public required long RowCount { get; init; }

    public required long DurationNanoseconds { get; init; }

    /// <summary>Why it failed or was aborted. Defaults to null (it finished).</summary>
    public string? Error { get; init; }

    /// <summary>Whether the public completion event was published for it.</summary>
    public required bool WithEvent { get; init; }

    public required DateTimeOffset EndedAt { get; init; }
}

/// <summary>
/// Command: ask the remote warehouse once, after <see cref="Delay"/>, whether the statement has
/// ended. The saga sends it; the query service answers with <see cref="StatementStillRunning"/>
/// or, once the statement has ended, with <see cref="StatementEnded"/>.
/// </summary>
public sealed record CheckStatement
{
    public required string StatementId { get; init; }

    /// <summary>1 for the first check of a statement, then 2, 3 ...</summary>
    public required int Attempt { get; init; }

    /// <summary>How long the saga waits before this check: the time from scheduling it to <see cref="DueAt"/>.</summary>
    public required TimeSpan Delay { get; init; }

    /// <summary>
    /// When the check is due (UTC): the saga schedules its delivery for this time. The message's
    /// SentTime can be later than the scheduling (an outbox releases the send after the saga's step
    /// is stored), so this, not SentTime plus <see cref="Delay"/>, is when it is due.
    /// </summary>
    public DateTime DueAt { get; init; }
}

/// <summary>Event: a check found the statement still running on the remote warehouse.</summary>
public sealed record StatementStillRunning
{
    public required string StatementId { get; init; }

    /// <summary>The <see cref="CheckStatement.Attempt"/> this answers.</summary>
    public required int Attempt { get; init; }

    /// <summary>The remote status seen (SUBMITTED, PICKED, STARTED), or why the check could not tell.</summary>
    public required string RemoteStatus { get; init; }

    public required DateTimeOffset CheckedAt { get; init; }
}

/// <summary>
/// Event: a query service replica was asked to cancel a statement that another replica runs.
/// Every replica receives it on a queue of its own; the one running the statement cancels it.
/// </summary>
public sealed record StatementCancelRequested
{
    public required string StatementId { get; init; }

    public required DateTimeOffset RequestedAt { get; init; }
}
