using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.Options;
using Sluice.Contracts.Messages;
using Sluice.Ingestion.Landing;
using Sluice.Ingestion.Runner;
using Sluice.Ingestion.Sources;
using Sluice.Ingestion.Storage;
using Sluice.Ingestion.Triggers;
using Sluice.Ingestion.V1;
using Sluice.ObjectStore;

namespace Sluice.Ingestion.Jobs;

/// <summary>
/// Runs one job from its checkpoint to the end: page, append, make durable, checkpoint; then the
/// manifest, the source's new watermark and DatasetLanded.
/// </summary>
internal sealed class JobRunner(
    IngestionStore store,
    IObjectStore objects,
    SourceDefinitionParser definitions,
    JobNotifier notifier,
    IBus bus,
    Messaging.RulesetSync rulesets,
    IOptions<IngestionOptions> options,
    TimeProvider time,
    ILogger<JobRunner> logger)
{
    private static readonly SocketsHttpHandler Primary = new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        AutomaticDecompression = System.Net.DecompressionMethods.All,
        ConnectTimeout = TimeSpan.FromSeconds(15),
    };

    public async Task RunAsync(string jobId, CancellationToken cancellationToken)
    {
        var job = store.GetJob(jobId);
        if (job is null || job.State is not (JobState.Queued or JobState.Running))
        {
            return;
        }
        var retries = new StrongBox<long>();
        try
        {
            job = await FetchAsync(job, retries, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException exception)
        {
            // Cancelled by CancelJob (already marked), or the host is stopping: then the job stays
            // RUNNING and resumes from its checkpoint at the next start.
            if (store.GetJob(jobId) is { State: JobState.Cancelled })
            {
                DeleteSpool(jobId);
            }
            else if (!cancellationToken.IsCancellationRequested)
            {
                Fail(job, $"The job was interrupted: {exception.Message}", retries.Value);
            }
            return;
        }
        catch (Exception exception) when (exception is SourceRunException or PageTooLargeException or SourceDefinitionException)
        {
            Fail(job, exception.Message, retries.Value);
            return;
        }
        catch (Exception exception) when (exception is ObjectStoreException or IOException or InvalidDataException)
        {
            IngestionLog.JobCrashed(logger, job.JobId, job.Source, exception);
            Fail(job, $"The job could not land its data: {exception.Message}", retries.Value);
            return;
        }
        await PublishLandedAsync(job, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Publishes DatasetLanded for a landed job that has not had it yet (also after a restart).</summary>
    public async Task PublishLandedAsync(JobRecord job, CancellationToken cancellationToken)
    {
        if (store.GetSource(job.Source) is { } source && SourceDefinitionParser.FromStoredJson(source.DefinitionJson).Ruleset is { Length: > 0 } ruleset)
        {
            try
            {
                await rulesets.EnsureAsync(job.Source, ruleset, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Without its ruleset the dataset would be judged by another one, or by none.
                store.UpdateJob(job.JobId, current => current with
                {
                    Phase = JobPhase.Failed,
                    LandedPublished = true,
                    Error = $"The data landed, but the source's ruleset could not be registered with the validation service: {exception.Message}",
                    UpdatedAt = time.GetUtcNow(),
                });
                notifier.Notify(job.JobId);
                return;
            }
        }
        try
        {
            await bus.Publish(new DatasetLanded
            {
                JobId = job.JobId,
                Source = job.Source,
                ObjectKeys = [.. job.Parts.Select(p => p.Key)],
                RecordCount = job.Records,
                LandedAt = job.UpdatedAt,
            }, cancellationToken).ConfigureAwait(false);
            store.UpdateJob(job.JobId, current => current with { LandedPublished = true });
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            IngestionLog.PublishFailed(logger, job.JobId, exception);
        }
    }

    /// <param name="retries">Retries not yet counted in the saved job; a failure adds them.</param>
    private async Task<JobRecord> FetchAsync(JobRecord job, StrongBox<long> retries, CancellationToken cancellationToken)
    {
        var stored = store.GetSource(job.Source) ?? throw new SourceRunException($"Source '{job.Source}' was deleted before the job ran.");
        var definition = SourceDefinitionParser.FromStoredJson(stored.DefinitionJson);
        if (job.State == JobState.Queued)
        {
            job = job with
            {
                State = JobState.Running,
                Phase = JobPhase.Fetching,
                StartWatermark = StartWatermark(definition, stored.Watermark, job.FullRefresh),
                UpdatedAt = time.GetUtcNow(),
            };
            Save(job);
        }

        using var pipeline = new SourceHttpPipeline(definition, Primary, definitions.ResolveSecret, options.Value.MaxPageBytes, () => Interlocked.Increment(ref retries.Value));
        // A job started by an object landing makes one request (with its pages) per record of the object.
        var requests = job.TriggerObjectKey is { } triggerKey
            ? await TriggerRecords.ReadAsync(objects, triggerKey, SourceDefinitionParser.Placeholders(definition), options.Value.Triggers.MaxObjectBytes, cancellationToken).ConfigureAwait(false)
            : null;
        var fetcher = new PageFetcher(definition, pipeline.Client, job.StartWatermark, requests);
        var cursor = PageCursor.FromJson(job.Checkpoint) ?? fetcher.First();
        var keyPrefix = $"{definition.DestinationPrefix}/{job.Source}/ingest_date={job.IngestDate}/{job.JobId}";
        var spoolPath = SpoolPath(job.JobId);
        var curated = definition.Curated is { } zone
            ? new CuratedZone(objects, store, job.Source, $"{zone.Prefix}/{job.Source}/ingest_date={job.IngestDate}/{job.JobId}", spoolPath)
            : null;
        await using var spool = new PartSpool(objects, spoolPath, keyPrefix, options.Value.PartBytes, job.Parts, job.SpoolBytes, job.SpoolRecords,
            job.PendingPart, curated, job.CuratedParts, cancellationToken);
        var resumed = job;
        job = await WriteAsync(() => Write(resumed, fetcher, cursor, spool, retries, cancellationToken)).ConfigureAwait(false);

        // Reached also when a restart finds the last page already checkpointed.
        await spool.CommitAsync(final: true, cancellationToken).ConfigureAwait(false);
        var landedAt = time.GetUtcNow();
        var manifest = Manifest.Of(job, spool.Parts, curated is null ? null : spool.CuratedParts, landedAt);
        var manifestKey = keyPrefix + "/manifest.json";
        using (var content = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(manifest, Manifest.Json)))
        {
            await objects.PutAsync(manifestKey, content, "application/json", cancellationToken).ConfigureAwait(false);
        }
        job = job with
        {
            State = JobState.Succeeded,
            Phase = JobPhase.Landed,
            Parts = spool.Parts,
            CuratedParts = spool.CuratedParts,
            SpoolBytes = 0,
            SpoolRecords = 0,
            PendingPart = null,
            ManifestKey = manifestKey,
            Cursor = "",
            UpdatedAt = landedAt,
        };
        Save(job);
        if (definition.Incremental is not null && job.Watermark is not null)
        {
            store.SetWatermark(job.Source, job.Watermark);
        }
        await spool.DeleteAsync().ConfigureAwait(false);
        IngestionLog.JobLanded(logger, job.JobId, job.Source, job.Records, job.Parts.Count);
        return job;
    }

    /// <summary>
    /// The writer of the job's pipeline, on a thread of its own: it blocks on fsync and on SQLite
    /// commits, and on the thread pool that would hold up the fetcher's (and the service's) async I/O.
    /// </summary>
    private static Task<JobRecord> WriteAsync(Func<JobRecord> write) =>
        Task.Factory.StartNew(write, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// While <paramref name="fetcher"/> reads pages ahead, appends what has arrived to the spool,
    /// makes it durable, and only then checkpoints the cursor after the last page appended. Pages
    /// that arrive together share one flush and one checkpoint.
    /// </summary>
    private JobRecord Write(JobRecord job, PageFetcher fetcher, PageCursor cursor, PartSpool spool, StrongBox<long> retries, CancellationToken cancellationToken)
    {
        var pages = Channel.CreateUnbounded<FetchedPage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stopFetching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var fetching = fetcher.RunAsync(cursor, job.Pages, pages.Writer, stopFetching.Token);
        try
        {
            // Throws the fetcher's failure once the pages it handed over before it are written.
            while (pages.Reader.WaitToReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult())
            {
                long count = 0, records = 0, written = 0;
                var last = cursor;
                // Up to the roll size, so parts roll where they would page by page.
                while (spool.Bytes < options.Value.PartBytes && pages.Reader.TryRead(out var page))
                {
                    using (page)
                    {
                        fetcher.Written(page);
                        spool.Append(page.Lines.Bytes, page.Lines.Count);
                        count++;
                        records += page.Lines.Count;
                        written += page.Lines.Bytes.Length;
                        last = page.Next;
                    }
                }
                spool.CommitAsync(final: last.Done, cancellationToken).GetAwaiter().GetResult();
                job = job with
                {
                    Pages = job.Pages + count,
                    Records = job.Records + records,
                    Bytes = job.Bytes + written,
                    Retries = job.Retries + Interlocked.Exchange(ref retries.Value, 0),
                    Checkpoint = last.ToJson(),
                    Cursor = last.Describe(),
                    Parts = spool.Parts,
                    CuratedParts = spool.CuratedParts,
                    PendingPart = spool.Pending,
                    SpoolBytes = spool.Bytes,
                    SpoolRecords = spool.Records,
                    Watermark = last.Watermark,
                    UpdatedAt = time.GetUtcNow(),
                };
                Save(job);
                spool.Checkpointed();
                cursor = last;
            }
            return job;
        }
        finally
        {
            stopFetching.Cancel();
            fetching.GetAwaiter().GetResult();
            while (pages.Reader.TryRead(out var unwritten))
            {
                unwritten.Dispose();
            }
        }
    }

    /// <summary>Saves the job's progress unless CancelJob got there first, which ends the run.</summary>
    private void Save(JobRecord job)
    {
        var saved = store.UpdateJob(job.JobId, current => current.State == JobState.Cancelled ? null : job);
        notifier.Notify(job.JobId);
        if (saved?.State == JobState.Cancelled)
        {
            throw new OperationCanceledException("The job was cancelled.");
        }
    }

    private void Fail(JobRecord job, string error, long retries)
    {
        IngestionLog.JobFailed(logger, job.JobId, job.Source, error);
        store.UpdateJob(job.JobId, current => current.State == JobState.Cancelled ? null
            : current with { State = JobState.Failed, Phase = JobPhase.Failed, Error = error, Retries = current.Retries + retries, UpdatedAt = time.GetUtcNow() });
        notifier.Notify(job.JobId);
        DeleteSpool(job.JobId);
    }

    private string SpoolPath(string jobId) => Path.Combine(options.Value.SpoolDirectory, jobId);

    private void DeleteSpool(string jobId)
    {
        try
        {
            Directory.Delete(SpoolPath(jobId), recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
            // Left behind; it holds nothing another job reads.
        }
    }

    /// <summary>The watermark sent on this run: the stored one minus the look-back, the initial value on a first run, or none.</summary>
    internal static string? StartWatermark(SourceDefinition definition, string? stored, bool fullRefresh)
    {
        if (definition.Incremental is not { } incremental)
        {
            return null;
        }
        if (fullRefresh || stored is null)
        {
            return incremental.InitialValue;
        }
        if (incremental.Lookback <= TimeSpan.Zero)
        {
            return stored;
        }
        if (long.TryParse(stored, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds))
        {
            return (seconds - (long)incremental.Lookback.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }
        if (DateTimeOffset.TryParse(stored, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var moment))
        {
            return (moment - incremental.Lookback).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture);
        }
        return stored;
    }

    /// <summary>The greater of two watermark values: numerically when both are numbers, else ordinally (ISO dates sort as text).</summary>
    internal static string Max(string? current, string candidate)
    {
        if (current is null)
        {
            return candidate;
        }
        if (decimal.TryParse(current, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
            && decimal.TryParse(candidate, NumberStyles.Float, CultureInfo.InvariantCulture, out var b))
        {
            return b > a ? candidate : current;
        }
        return string.CompareOrdinal(candidate, current) > 0 ? candidate : current;
    }
}
