using Microsoft.Extensions.Options;
using Sluice.Ingestion.Storage;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Jobs;

/// <summary>
/// Runs queued jobs, at most Sluice:Ingestion:MaxConcurrentJobs at once. At start it takes up
/// what the previous run left: jobs still queued or running resume from their checkpoints, and
/// landed jobs whose DatasetLanded did not go out get it now.
/// </summary>
internal sealed class JobWorker(JobManager jobs, JobRunner runner, IngestionStore store, IOptions<IngestionOptions> options, ILogger<JobWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var open = store.ListOpenJobs();
        if (open.Count > 0)
        {
            IngestionLog.ResumingJobs(logger, open.Count);
        }
        foreach (var job in open)
        {
            if (job.State is JobState.Queued or JobState.Running)
            {
                jobs.Enqueue(job.JobId);
            }
            else
            {
                await runner.PublishLandedAsync(job, stoppingToken).ConfigureAwait(false);
            }
        }
        var workers = Enumerable.Range(0, Math.Max(1, options.Value.MaxConcurrentJobs)).Select(_ => Task.Run(() => WorkAsync(stoppingToken), stoppingToken));
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var jobId in jobs.Queue.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                using var run = jobs.BeginRun(jobId, stoppingToken);
                if (run is null)
                {
                    continue;
                }
                try
                {
                    await runner.RunAsync(jobId, run.Token).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    IngestionLog.JobCrashed(logger, jobId, "?", exception);
                }
                finally
                {
                    jobs.EndRun(jobId);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
