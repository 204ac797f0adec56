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

    public DateTimeOffset? EndedAt { get; set; }

    public long? RowCount { get; set; }

    public string? Error { get; set; }
}
