using Sluice.Query.V1;

namespace Sluice.Query.Statements;

/// <summary>A statement's transition, as observers (the broker publisher) receive it.</summary>
public sealed record StatementTransition(
    string StatementId,
    StatementStatus Status,
    string Caller,
    string Database,
    string QueryString,
    string? StatementName,
    bool WithEvent,
    bool HasResultSet,
    long ResultRows,
    long DurationNanoseconds,
    string? Error,
    DateTimeOffset At,
    string? RemoteStatementId = null,
    DateTimeOffset? SubmittedAt = null);

/// <summary>Told about every transition of every statement; failures are logged and do not affect the statement.</summary>
public interface IStatementLifecycleObserver
{
    Task OnTransitionAsync(StatementTransition transition, CancellationToken cancellationToken);
}
