using System.Collections.Concurrent;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.Loading;

/// <summary>
/// Hands a load the end of its statement. Registered after the bus publisher among the statement
/// manager's observers, so when a statement's end arrives here its end events (the completion
/// event, and StatementEnded, which ends a remote statement's saga) have already been published.
/// </summary>
internal sealed class StatementEnds : IStatementLifecycleObserver
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StatementTransition>> _expected = new(StringComparer.Ordinal);

    /// <summary>The end of statement <paramref name="statementId"/>; call before submitting it, so that its end cannot be missed.</summary>
    public Task<StatementTransition> Expect(string statementId)
    {
        var end = new TaskCompletionSource<StatementTransition>(TaskCreationOptions.RunContinuationsAsynchronously);
        _expected[statementId] = end;
        return end.Task;
    }

    /// <summary>Stops waiting for <paramref name="statementId"/> (it was not submitted, or its load gave up).</summary>
    public void Forget(string statementId) => _expected.TryRemove(statementId, out _);

    public Task OnTransitionAsync(StatementTransition transition, CancellationToken cancellationToken)
    {
        if (transition.Status is StatementStatus.Finished or StatementStatus.Failed or StatementStatus.Aborted
            && _expected.TryRemove(transition.StatementId, out var end))
        {
            end.TrySetResult(transition);
        }
        return Task.CompletedTask;
    }
}
