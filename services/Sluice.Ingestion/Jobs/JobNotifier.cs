using System.Collections.Concurrent;

namespace Sluice.Ingestion.Jobs;

/// <summary>Wakes WatchJob streams when a job changes: each change completes the job's current signal and starts a new one.</summary>
internal sealed class JobNotifier
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _signals = new(StringComparer.Ordinal);

    /// <summary>A task completing at the next change of <paramref name="jobId"/>; take it before reading the job, so no change is missed.</summary>
    public Task NextChange(string jobId) =>
        _signals.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Notify(string jobId)
    {
        if (_signals.TryRemove(jobId, out var signal))
        {
            signal.TrySetResult();
        }
    }
}
