using System.Collections.Concurrent;
using System.Diagnostics;

namespace Sluice.Query.Statements;

/// <summary>
/// Threads for engines whose calls block the calling thread (DuckDB): at most one per execution
/// slot, kept while there is work and ended after a minute idle. A dedicated thread per statement
/// (LongRunning) cost a thread's creation and teardown for every statement; the thread pool would
/// instead be starved by the blocking calls.
/// </summary>
/// <remarks>
/// Work queued here never waits on other work queued here, and the statement manager's execution
/// slots admit at most as many items at once as there may be threads, so an item never waits for
/// a thread for long. Continuations after a truly asynchronous await leave these threads for the
/// thread pool (ConfigureAwait(false)), as they did from a LongRunning thread.
/// </remarks>
internal sealed class EngineThreads : TaskScheduler, IDisposable
{
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromMinutes(1);
    private readonly BlockingCollection<Task> _work = [];
    private readonly int _maximum;
    private readonly Lock _sync = new();
    private int _live;

    // Items queued or running. Every one of them needs a thread of its own, up to the maximum: counting
    // idle threads instead would let two items queued at once both count on the same idle thread, and
    // the second would wait behind the first however long it runs.
    private int _inFlight;

    public EngineThreads(int maximum)
    {
        Debug.Assert(maximum > 0);
        _maximum = maximum;
    }

    public override int MaximumConcurrencyLevel => _maximum;

    /// <summary>Runs <paramref name="work"/> on one of the threads; the task completes when the work's own task does.</summary>
    public Task Run(Func<Task> work) => Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.None, this).Unwrap();

    /// <summary>Lets the threads end once the work already queued is done.</summary>
    public void Dispose() => _work.CompleteAdding();

    protected override void QueueTask(Task task)
    {
        _work.Add(task);
        lock (_sync)
        {
            _inFlight++;
            // Fewer items than threads: one of the threads is free (idle, or about to take more work).
            if (_inFlight <= _live || _live >= _maximum)
            {
                return;
            }
            _live++;
        }
        new Thread(Serve) { IsBackground = true, Name = "Sluice engine" }.Start();
    }

    // Never inlined: a caller elsewhere (a thread-pool thread) must not run blocking work itself.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks() => _work.ToArray();

    private void Serve()
    {
        while (true)
        {
            if (_work.TryTake(out var task, IdleLifetime))
            {
                TryExecuteTask(task);
                lock (_sync)
                {
                    _inFlight--;
                }
                continue;
            }
            lock (_sync)
            {
                // Work is added before it is counted, so work added after this check finds one thread fewer
                // and starts another.
                if (_work.Count == 0 || _work.IsAddingCompleted)
                {
                    _live--;
                    return;
                }
            }
        }
    }
}
