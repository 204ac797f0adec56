using System.Globalization;
using Microsoft.Extensions.Options;
using Sluice.Ingestion.Jobs;
using Sluice.Ingestion.Sources;
using Sluice.Ingestion.Storage;
using Sluice.ObjectStore;

namespace Sluice.Ingestion.Triggers;

/// <summary>
/// Starts a job for each object landing under a source's trigger prefix. Every PollInterval the
/// prefixes are listed; an object (a key at a size and modification time) the source has not run
/// for gets a job, recorded in the same transaction as the job itself, so a restart neither runs it
/// again nor misses it. Listing works alike on the local store and on S3, which needs no
/// notification set-up; a rewritten object (new size or time) runs again.
/// </summary>
internal sealed class TriggerService(IngestionStore store, IObjectStore objects, JobManager jobs, IOptions<IngestionOptions> options, TimeProvider time, ILogger<TriggerService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Triggers.PollInterval, time);
        do
        {
            foreach (var source in store.EachSource())
            {
                try
                {
                    await PollAsync(source, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    IngestionLog.TriggerPollFailed(logger, source.Name, exception);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task PollAsync(StoredSource source, CancellationToken cancellationToken)
    {
        if (SourceDefinitionParser.FromStoredJson(source.DefinitionJson).Trigger?.Prefix is not { } prefix)
        {
            return;
        }
        await foreach (var info in objects.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            var version = Version(info);
            if (!store.HasSeenTriggerObject(source.Name, info.Key, version))
            {
                jobs.StartForObject(source.Name, info.Key, version);
            }
        }
    }

    private static string Version(ObjectInfo info) =>
        $"{info.Size}@{info.LastModified.UtcTicks.ToString(CultureInfo.InvariantCulture)}";
}
