using System.Collections.Concurrent;
using Sluice.Query.Engines;
using Sluice.Query.V1;

namespace Sluice.Query.Statements;

// A graceful stop that loses no end event: admission closes, running statements get a bounded
// drain, the rest are aborted with the reason, and every transition is announced and stored,
// all while the bus still runs (StatementDrain calls StopAsync before any hosted service stops).
public sealed partial class StatementManager
{
    // The runs in progress by statement id, so a stop can wait for them.
    private readonly ConcurrentDictionary<string, Task> _runs = new(StringComparer.Ordinal);

    // Cancelled only when the manager is disposed, after the drain: observers (the bus publisher)
    // keep their token through the drain, so the aborts it makes are announced. Never disposed,
    // so that reading its token stays valid after Dispose.
    private readonly CancellationTokenSource _observersAbandoned = new();

    // Set under _admission: no statement is admitted once it is true.
    private bool _stopping;

    // The drain that ended before the statements aborted by the stop did; null when there was none.
    private TimeSpan? _drained;

    /// <summary>
    /// Stops admitting statements (a submission is refused with ServiceUnavailableException), lets
    /// local statements run for at most <paramref name="drain"/>, then aborts the rest with the
    /// reason, and completes once every statement's end has been announced to the observers and
    /// written to the store. A remote engine's statements are not waited for: they run on in the
    /// warehouse and the next service's re-checks finish them (with a durable store).
    /// </summary>
    public async Task StopAsync(TimeSpan drain, CancellationToken cancellationToken)
    {
        lock (_admission)
        {
            _stopping = true;
        }
        if (_engine is not IRemoteSqlEngine && drain > TimeSpan.Zero)
        {
            try
            {
                await Task.WhenAll(_runs.Values).WaitAsync(drain, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Some still run: aborted below.
            }
        }
        _drained = drain;
        await _shutdown.CancelAsync().ConfigureAwait(false);
        // A run ends promptly once cancelled (its engine command is interrupted); a statement
        // admitted just before admission closed may start now, and is aborted at once.
        while (!_runs.IsEmpty)
        {
            await Task.WhenAll(_runs.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        await Task.WhenAll(_statements.Values.SelectMany(s =>
        {
            lock (s.Sync)
            {
                return new[] { s.Notifications, s.Persistence };
            }
        })).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs an admitted statement in the background, tracked until its run ends.</summary>
    private void Start(Statement statement)
    {
        var run = Task.Run(() => RunAsync(statement));
        _runs[statement.Id] = run;
        // Attached after the add: a run that has already ended is removed at once.
        _ = run.ContinueWith(_ => _runs.TryRemove(statement.Id, out var _), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Why a statement ended by the stop was aborted, as its caller should read it.</summary>
    private string StopReason(Statement statement)
    {
        if (_drained is not { } drain)
        {
            return "Statement was aborted because the query service is stopping.";
        }
        var was = statement.Status == StatementStatus.Submitted ? "was still waiting to run" : "was still running";
        return $"Statement was aborted because the query service stopped: it {was} when the shutdown drain of {drain} (Sluice:Query:ShutdownDrain) ended. Submit it again if it is still wanted.";
    }
}
