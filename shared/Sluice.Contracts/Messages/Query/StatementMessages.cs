namespace Sluice.Contracts.Messages;

// Statement messages of the query service. They correlate by StatementId, a lowercase UUID
// string as in the Redshift Data API.

/// <summary>
/// Command: run a statement. The query service accepts it as ExecuteStatement would and
/// publishes its end (<see cref="StatementFinished"/>, <see cref="StatementFailed"/> or
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
}

/// <summary>Event: a statement ended successfully.</summary>
public sealed record StatementFinished
{
    public required string StatementId { get; init; }

    public required bool HasResultSet { get; init; }

    /// <summary>Rows returned, or rows affected by a statement without a result set.</summary>
    public required long RowCount { get; init; }

    public required long DurationNanoseconds { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }
}

/// <summary>Event: a statement failed (or was refused when submitted by message).</summary>
public sealed record StatementFailed
{
    public required string StatementId { get; init; }

    public required string Error { get; init; }

    public required DateTimeOffset FailedAt { get; init; }
}

/// <summary>Event: a statement was cancelled.</summary>
public sealed record StatementAborted
{
    public required string StatementId { get; init; }

    public required string Reason { get; init; }

    public required DateTimeOffset AbortedAt { get; init; }
}
