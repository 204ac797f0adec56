namespace Sluice.Ingestion;

/// <summary>The service's log lines (event ids 1000-1099).</summary>
internal static partial class IngestionLog
{
    [LoggerMessage(1000, LogLevel.Information, "Job {JobId} of source {Source} landed {Records} records in {Parts} part(s).")]
    public static partial void JobLanded(ILogger logger, string jobId, string source, long records, int parts);

    [LoggerMessage(1001, LogLevel.Warning, "Job {JobId} of source {Source} failed: {Error}")]
    public static partial void JobFailed(ILogger logger, string jobId, string source, string error);

    [LoggerMessage(1002, LogLevel.Error, "Job {JobId} of source {Source} failed unexpectedly.")]
    public static partial void JobCrashed(ILogger logger, string jobId, string source, Exception exception);

    [LoggerMessage(1003, LogLevel.Information, "Resuming {Count} job(s) left open by the previous run.")]
    public static partial void ResumingJobs(ILogger logger, int count);

    [LoggerMessage(1004, LogLevel.Warning, "The scheduled run of source {Source} could not start.")]
    public static partial void ScheduleFailed(ILogger logger, string source, Exception exception);

    [LoggerMessage(1005, LogLevel.Warning, "Job {JobId}: the landed dataset was not published; it is retried on restart.")]
    public static partial void PublishFailed(ILogger logger, string jobId, Exception exception);

    [LoggerMessage(1006, LogLevel.Warning, "The trigger prefix of source {Source} could not be listed; it is tried again at the next poll.")]
    public static partial void TriggerPollFailed(ILogger logger, string source, Exception exception);

    [LoggerMessage(1010, LogLevel.Debug, "Stream {Stream}, shard {ShardId}: landed {Records} records as {Key}.")]
    public static partial void StreamPartLanded(ILogger logger, string stream, string shardId, long records, string key);

    [LoggerMessage(1011, LogLevel.Warning, "Stream {Stream}: landing failed; the acknowledged records stay in the shard logs and are landed at the next try.")]
    public static partial void StreamLandingFailed(ILogger logger, string stream, Exception exception);

    [LoggerMessage(1012, LogLevel.Error, "Stream {Stream}, shard {ShardId}: the log could not be written; the shard refuses records until the service restarts.")]
    public static partial void StreamWriteFailed(ILogger logger, string stream, string shardId, Exception exception);

    [LoggerMessage(1013, LogLevel.Error, "Stream {Stream}, shard {ShardId}: the log could not be synced to disk; the shard refuses records until the service restarts.")]
    public static partial void StreamSyncFailed(ILogger logger, string stream, string shardId);
}
