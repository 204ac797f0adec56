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
    private int _idle;

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
            // A thread that is idle will take it; one that has just timed out sees it before leaving.
            if (_idle > 0 || _live >= _maximum)
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
            lock (_sync)
            {
                _idle++;
            }
            var taken = _work.TryTake(out var task, IdleLifetime);
            lock (_sync)
            {
                _idle--;
                if (!taken && (_work.Count == 0 || _work.IsAddingCompleted))
                {
                    _live--;
                    return;
                }
            }
            if (taken)
            {
                TryExecuteTask(task!);
            }
        }
    }
}
