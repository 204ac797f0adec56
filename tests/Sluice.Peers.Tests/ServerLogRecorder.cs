using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Sluice.Peers.Tests;

/// <summary>
/// Records the log events of the in-process hosts' Grpc.AspNetCore server (categories starting
/// with <see cref="Category"/>, at every level: decompression is logged at Trace only) while it is
/// alive, through the EventSource logging provider every ASP.NET Core host has. Lets a test see
/// what the server did with a peer's call that the peer cannot see, e.g. that it decompressed a
/// gzip request. The hosts must let those events through: <see cref="SluiceHost"/> sets
/// Logging:EventSource:LogLevel:{Category}=Trace.
/// </summary>
internal sealed class ServerLogRecorder : EventListener
{
    public const string Category = "Grpc.AspNetCore.Server";

    private const string LoggingSource = "Microsoft-Extensions-Logging";
    private const EventKeywords FormattedMessage = (EventKeywords)4;

    // Initialized before the base constructor, which already reports the existing sources.
    private readonly ConcurrentQueue<(string EventName, string Message)> _events = new();

    public IReadOnlyCollection<(string EventName, string Message)> Events => _events;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == LoggingSource)
        {
            EnableEvents(eventSource, EventLevel.Verbose, FormattedMessage, new Dictionary<string, string?> { ["FilterSpecs"] = Category + ":Trace" });
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName != "FormattedMessage" || eventData.PayloadNames is null || eventData.Payload is null)
        {
            return;
        }
        string? Payload(string name)
        {
            var index = eventData.PayloadNames.IndexOf(name);
            return index >= 0 ? eventData.Payload[index]?.ToString() : null;
        }
        if (Payload("LoggerName")?.StartsWith(Category, StringComparison.Ordinal) == true)
        {
            _events.Enqueue((Payload("EventName") ?? "", Payload("FormattedMessage") ?? ""));
        }
    }
}
