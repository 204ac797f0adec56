using MassTransit;

namespace Sluice.Query.StateMachines;

/// <summary>What the saga knows about one statement; CorrelationId is the statement's UUID.</summary>
public sealed class StatementState : SagaStateMachineInstance
{
    public Guid CorrelationId { get; set; }

    public string CurrentState { get; set; } = "";

    public string? Database { get; set; }

    public string? Sql { get; set; }

    public DateTimeOffset? SubmittedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>The remote warehouse's id of the statement, when it runs on one.</summary>
    public string? RemoteStatementId { get; set; }

    /// <summary>Re-checks of a remote statement answered so far.</summary>
    public int StatusChecks { get; set; }

    /// <summary>The remote status the last re-check saw.</summary>
    public string? LastRemoteStatus { get; set; }

    /// <summary>FINISHED, FAILED or ABORTED once the statement has ended (the instance is then removed).</summary>
    public string? Outcome { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public long? RowCount { get; set; }

    public string? Error { get; set; }
}
