using Microsoft.Extensions.Logging;
using Sluice.Query.Engines;
using Sluice.Query.V1;

namespace Sluice.Query.Statements;

// Statements in the statement store (IStatementStore): written on every transition, in order per
// statement; read back at start, when statements a stopped process left running are ended with
// the truth, except those a remote warehouse still runs, which the saga's re-checks finish.
public sealed partial class StatementManager
{
    /// <summary>
    /// Loads the stored statements into this manager, before it serves. Returns those that were
    /// not ended and that nothing will finish: <see cref="EndInterrupted"/> fails them once the bus
    /// can announce it.
    /// </summary>
    public async Task<IReadOnlyList<Statement>> RestoreAsync(CancellationToken cancellationToken) =>
        TakeOver(await LoadRestorableAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>Holds the stored statements given from now on; returns those that were not ended and that nothing will finish.</summary>
    private List<Statement> TakeOver(IEnumerable<StatementRecord> records)
    {
        var interrupted = new List<Statement>();
        foreach (var record in records)
        {
            var statement = StatementRecords.Restore(record);
            lock (_admission)
            {
                if (!_statements.TryAdd(statement.Id, statement))
                {
                    continue;
                }
                if (statement.Submission.ClientToken is { Length: > 0 } token)
                {
                    _clientTokens[(statement.Submission.Caller, token)] = statement.Id;
                }
            }
            if (statement.IsEnded)
            {
                continue;
            }
            if (_engine is IRemoteSqlEngine remote && statement.RemoteId is not null)
            {
                // The warehouse runs it still, and the saga still re-checks it: a check that finds
                // it ended completes RemoteEnd, as for a statement this process submitted.
                _ = Task.Run(() => ResumeRemoteAsync(statement, remote));
                continue;
            }
            interrupted.Add(statement);
        }
        return interrupted;
    }

    /// <summary>Fails statements whose process stopped while they ran (they are never run again: a statement may have side effects).</summary>
    public void EndInterrupted(IEnumerable<Statement> statements)
    {
        foreach (var statement in statements)
        {
            var was = StatusName(statement.Status);
            MoveTo(statement, StatementStatus.Failed,
                $"The query service stopped while the statement was {was}; it did not finish and was not run again. Submit it again if it is still wanted.");
            DiscardResults(statement);
        }
    }

    /// <summary>Completes when every write to the store asked for so far has been made (or has failed and been logged).</summary>
    public Task FlushAsync() => Task.WhenAll(_statements.Values.Select(s =>
    {
        lock (s.Sync)
        {
            return s.Persistence;
        }
    }));

    /// <summary>Queues a write of the statement's state now behind its earlier writes.</summary>
    private void Persist(Statement statement)
    {
        lock (statement.Sync)
        {
            var record = StatementRecords.Capture(statement);
            statement.Persistence = statement.Persistence
                .ContinueWith(_ => SaveAsync(record), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default)
                .Unwrap();
        }
    }

    private async Task SaveAsync(StatementRecord record)
    {
        // Tried until it is written (the state database restarting, say): a transition lost here
        // would leave the stored statement, and with the outbox its events, behind for good. Not
        // cancelled by shutdown, only by disposal: the last transitions are the ones a restart must see.
        for (var pause = TimeSpan.FromMilliseconds(100); ; pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxSaveRetryPause.Ticks)))
        {
            try
            {
                await _store.SaveAsync(record, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (Exception exception)
            {
                LogStoreFailure(_logger, exception, record.Id);
            }
            try
            {
                await Task.Delay(pause, _observersAbandoned.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static readonly TimeSpan MaxSaveRetryPause = TimeSpan.FromSeconds(5);

    private async Task DeleteStoredAsync(IReadOnlyCollection<string> ids)
    {
        try
        {
            await _store.DeleteAsync(ids, _shutdownToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogStoreFailure(_logger, exception, ids.First());
        }
        catch (OperationCanceledException)
        {
            // Stopping: the next start's retention pass deletes them.
        }
    }

    /// <summary>Waits for a restored remote statement's end (found by the saga's re-checks) and applies it.</summary>
    private async Task ResumeRemoteAsync(Statement statement, IRemoteSqlEngine remote)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(statement.Cancellation.Token, _shutdownToken);
        try
        {
            var end = await statement.RemoteEnd.Task.WaitAsync(linked.Token).ConfigureAwait(false);
            await ApplyRemoteEndAsync(statement, remote, end, linked.Token).ConfigureAwait(false);
            MoveTo(statement, StatementStatus.Finished);
        }
        catch (Exception exception)
        {
            EndAfterError(statement, exception, timedOut: false);
        }
        if (statement.Status is StatementStatus.Failed or StatementStatus.Aborted)
        {
            DiscardResults(statement);
            Persist(statement);
        }
    }

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Writing statement {StatementId} to the statement store failed")]
    private static partial void LogStoreFailure(ILogger logger, Exception exception, string statementId);
}

/// <summary>
/// Restores the stored statements before the service serves, fails those a stopped process left
/// running once the host has started (the bus can then announce it), and waits for pending
/// writes when the host stops.
/// </summary>
internal sealed class StatementRecovery(StatementManager manager, Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime) : Microsoft.Extensions.Hosting.IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var interrupted = await manager.RestoreAsync(cancellationToken).ConfigureAwait(false);
        if (interrupted.Count > 0)
        {
            lifetime.ApplicationStarted.Register(() => manager.EndInterrupted(interrupted));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => manager.FlushAsync().WaitAsync(cancellationToken);
}
