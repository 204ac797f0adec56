using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Sluice.Ingestion.Sources;
using Sluice.Ingestion.Storage;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Jobs;

/// <summary>A source that does not exist.</summary>
internal sealed class SourceNotFoundException(string name) : Exception($"Source '{name}' does not exist.")
{
    public string Name { get; } = name;
}

/// <summary>A source whose requests need a trigger record's values, started without one.</summary>
internal sealed class SourceNeedsTriggerException(string name, string placeholder)
    : Exception($"Source '{name}' fills {{{placeholder}}} from the records of objects landing under its trigger prefix; it runs when one lands, not on demand.")
{
    public string Name { get; } = name;
}

/// <summary>A job that does not exist.</summary>
internal sealed class JobNotFoundException(string jobId) : Exception($"Job '{jobId}' does not exist.")
{
    public string JobId { get; } = jobId;
}

/// <summary>
/// Creates jobs, queues them for the runners and cancels them. A job is stored before its id is
/// returned, so a restart finds and resumes it; the queue itself lives in memory.
/// </summary>
internal sealed class JobManager(IngestionStore store, JobNotifier notifier, IOptions<IngestionOptions> options, TimeProvider time)
{
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = false });
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);

    public ChannelReader<string> Queue => _queue.Reader;

    public IngestionOptions Options => options.Value;

    /// <summary>Creates and queues a job; with a caller-chosen <paramref name="jobId"/> a repeat returns the job already made.</summary>
    public JobRecord Start(string source, bool fullRefresh, JobTrigger trigger, string? jobId = null)
    {
        var stored = store.GetSource(source) ?? throw new SourceNotFoundException(source);
        if (SourceDefinitionParser.Placeholders(SourceDefinitionParser.FromStoredJson(stored.DefinitionJson)) is [var placeholder, ..])
        {
            throw new SourceNeedsTriggerException(source, placeholder);
        }
        var job = NewJob(source, fullRefresh, trigger, jobId);
        if (!store.InsertJob(job))
        {
            return store.GetJob(job.JobId)!;
        }
        Enqueue(job.JobId);
        return job;
    }

    /// <summary>
    /// Creates and queues the job of a trigger object's version, unless the source has had it: the
    /// object's record and the job are stored together. Null when it was seen before.
    /// </summary>
    public JobRecord? StartForObject(string source, string key, string version)
    {
        var job = NewJob(source, fullRefresh: false, JobTrigger.Object, jobId: null) with { TriggerObjectKey = key };
        if (!store.InsertTriggeredJob(key, version, job))
        {
            return null;
        }
        Enqueue(job.JobId);
        return job;
    }

    private JobRecord NewJob(string source, bool fullRefresh, JobTrigger trigger, string? jobId)
    {
        var now = time.GetUtcNow();
        return new JobRecord
        {
            JobId = jobId ?? Guid.NewGuid().ToString(),
            Source = source,
            Trigger = trigger,
            FullRefresh = fullRefresh,
            CreatedAt = now,
            UpdatedAt = now,
            IngestDate = now.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    public void Enqueue(string jobId) => _queue.Writer.TryWrite(jobId);

    /// <summary>Cancels a queued or running job; a job already ended is returned as it is.</summary>
    public JobRecord Cancel(string jobId)
    {
        // Marked here: a queued job has no runner to do it, and a runner checks the state first.
        var job = store.UpdateJob(jobId, current => current.State is JobState.Queued or JobState.Running
            ? current with { State = JobState.Cancelled, Phase = JobPhase.Cancelled, Error = "Cancelled by CancelJob.", UpdatedAt = time.GetUtcNow() }
            : null) ?? throw new JobNotFoundException(jobId);
        if (_running.TryGetValue(jobId, out var running))
        {
            running.Cancel();
        }
        notifier.Notify(jobId);
        return job;
    }

    /// <summary>Registers a running job's cancellation; null when the job is already running.</summary>
    public CancellationTokenSource? BeginRun(string jobId, CancellationToken stopping)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        if (_running.TryAdd(jobId, source))
        {
            return source;
        }
        source.Dispose();
        return null;
    }

    public void EndRun(string jobId)
    {
        if (_running.TryRemove(jobId, out var source))
        {
            source.Dispose();
        }
    }
}
