using System.Diagnostics.Metrics;
using System.Threading.Channels;

namespace Sluice.Gateway.AccessLog;

/// <summary>A rendered line and the file of the stage's own settings it goes to (null: Sluice:Gateway:AccessLog's file and logger).</summary>
internal readonly record struct AccessLogLine(string? File, string Text);

/// <summary>
/// Lines waiting for <see cref="AccessLogWriter"/>: a bounded channel a request adds to without
/// ever waiting. When it is full the line is dropped and counted (sluice.gateway.access_log.dropped).
/// </summary>
internal sealed class AccessLogQueue
{
    private readonly Channel<AccessLogLine> _lines;
    private readonly Counter<long> _dropped;
    private long _droppedTotal;

    public AccessLogQueue(int capacity, IMeterFactory meters)
    {
        _lines = Channel.CreateBounded<AccessLogLine>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _dropped = meters.Create("Sluice").CreateCounter<long>("sluice.gateway.access_log.dropped", "{line}",
            "Access log lines dropped because the writer was behind (the queue was full).");
    }

    public ChannelReader<AccessLogLine> Reader => _lines.Reader;

    /// <summary>Lines dropped since start.</summary>
    public long Dropped => Interlocked.Read(ref _droppedTotal);

    /// <summary>Queues a line; false (and counted) when the queue is full or closed.</summary>
    public bool TryAdd(AccessLogLine line)
    {
        if (_lines.Writer.TryWrite(line))
        {
            return true;
        }
        Interlocked.Increment(ref _droppedTotal);
        _dropped.Add(1);
        return false;
    }

    /// <summary>No more lines: the writer drains what is queued and ends.</summary>
    public void Complete() => _lines.Writer.TryComplete();
}
