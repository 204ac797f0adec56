namespace Sluice.Contracts.Messages;

// Statement messages of the query service. They correlate by StatementId, a lowercase UUID
// string as in the Redshift Data API.

// Two kinds of public events: the lifecycle facts (StatementSubmitted, StatementStarted; always
// published), and the completion events (StatementFinished, StatementFailed, StatementAborted),
// published only for statements that asked for one: ExecuteStatement with WithEvent, as the Data
// API sends its EventBridge event only then, and every SubmitStatement. The statement saga consumes
// none of them: it follows statements on a remote warehouse through its own messages
// (StatementSagaMessages.cs).

/// <summary>
/// Command: run a statement. The query service accepts it as ExecuteStatement with WithEvent
/// would and publishes its end (<see cref="StatementFinished"/>, <see cref="StatementFailed"/> or
/// <see cref="StatementAborted"/>) under the caller-chosen <see cref="StatementId"/>.
/// </summary>
public sealed record SubmitStatement
{
    /// <summary>The id the statement gets: a new UUID chosen by the sender, to correlate its end.</summary>
    public required string StatementId { get; init; }

    public required string Database { get; init; }

    public required string Sql { get; init; }

    /// <summary>Named parameters referenced as :name in <see cref="Sql"/>. Defaults to none.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    public string? StatementName { get; init; }

    /// <summary>Whose active-statement quota it counts against. Defaults to "broker".</summary>
    public string Caller { get; init; } = "broker";
}

/// <summary>Event: a statement was accepted.</summary>
public sealed record StatementSubmitted
{
    public required string StatementId { get; init; }

    public required string Database { get; init; }

    public required string Sql { get; init; }

    public string? StatementName { get; init; }

    public required string Caller { get; init; }

    public required DateTimeOffset SubmittedAt { get; init; }
}

/// <summary>Event: a statement began running on its engine.</summary>
public sealed record StatementStarted
{
    public required string StatementId { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>
    /// The id a remote warehouse (Redshift) gave the statement; set only when the statement runs
    /// there, and then the saga re-checks it until it ends. Defaults to null (an embedded engine,
    /// which reports its own end).
    /// </summary>
    public string? RemoteStatementId { get; init; }
}

/// <summary>Public event: a statement ended successfully (published when it asked for an event).</summary>
public sealed record StatementFinished
{
    public required string StatementId { get; init; }

    public required bool HasResultSet { get; init; }

    /// <summary>Rows returned, or rows affected by a statement without a result set.</summary>
    public required long RowCount { get; init; }

    public required long DurationNanoseconds { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }
}

/// <summary>Public event: a statement failed, or was refused when submitted by message (published when it asked for an event).</summary>
public sealed record StatementFailed
{
    public required string StatementId { get; init; }

    public required string Error { get; init; }

    public required DateTimeOffset FailedAt { get; init; }
}

/// <summary>Public event: a statement was cancelled (published when it asked for an event).</summary>
public sealed record StatementAborted
{
    public required string StatementId { get; init; }

    public required string Reason { get; init; }

    public required DateTimeOffset AbortedAt { get; init; }
}
