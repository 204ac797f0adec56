using Microsoft.Extensions.Logging;

namespace Sluice.Query;

/// <summary>The Query service's source-generated log messages (event ids 20-39; older ones sit beside their classes).</summary>
internal static partial class QueryLog
{
    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "Lake part {Key} copied from the object store into the lake cache")]
    public static partial void LakePartCached(ILogger logger, string key);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Forgetting old inbox entries failed; the next retention pass tries again")]
    public static partial void InboxPruneFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "Relaying the event outbox while stopping failed; its messages stay pending for the next start")]
    public static partial void OutboxFlushAtStopFailed(ILogger logger, Exception exception);
}
