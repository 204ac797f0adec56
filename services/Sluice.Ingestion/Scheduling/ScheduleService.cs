using Cronos;
using Microsoft.Extensions.Options;
using Sluice.Ingestion.Jobs;
using Sluice.Ingestion.Sources;
using Sluice.Ingestion.Storage;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Scheduling;

/// <summary>
/// Starts a job for each source whose schedule (an interval or a UTC cron expression) is due.
/// The next run is counted from the source's last scheduled job, so a restart neither skips nor
/// doubles a run; a source whose previous job is still going waits for it.
/// </summary>
internal sealed class ScheduleService(IngestionStore store, JobManager jobs, IOptions<IngestionOptions> options, TimeProvider time, ILogger<ScheduleService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SchedulePollInterval, time);
        do
        {
            foreach (var source in store.EachSource())
            {
                try
                {
                    RunIfDue(source);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    IngestionLog.ScheduleFailed(logger, source.Name, exception);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private void RunIfDue(StoredSource source)
    {
        var schedule = SourceDefinitionParser.FromStoredJson(source.DefinitionJson).Schedule;
        if (schedule is null)
        {
            return;
        }
        var last = store.ListJobs(source.Name, null, 20).FirstOrDefault(j => j.Trigger == JobTrigger.Schedule);
        if (last is { State: JobState.Queued or JobState.Running })
        {
            return;
        }
        var from = last?.CreatedAt ?? source.UpdatedAt;
        DateTimeOffset? due = schedule.Interval is { } interval
            ? (last is null ? source.UpdatedAt : from + interval)
            : CronExpression.Parse(schedule.Cron!).GetNextOccurrence(from, TimeZoneInfo.Utc);
        if (due is { } at && at <= time.GetUtcNow())
        {
            jobs.Start(source.Name, fullRefresh: false, JobTrigger.Schedule);
        }
    }
}
