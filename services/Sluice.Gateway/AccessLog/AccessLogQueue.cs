using System.Diagnostics.Metrics;
using System.Threading.Channels;

namespace Sluice.Gateway.AccessLog;

/// <summary>
/// Lines waiting for <see cref="AccessLogWriter"/>: a bounded channel a request adds to without
/// ever waiting. When it is full the line is dropped and counted (sluice.gateway.access_log.dropped).
/// </summary>
internal sealed class AccessLogQueue
{
    private readonly Channel<string> _lines;
    private readonly Counter<long> _dropped;
    private long _droppedTotal;

    public AccessLogQueue(int capacity, IMeterFactory meters)
    {
        _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _dropped = meters.Create("Sluice").CreateCounter<long>("sluice.gateway.access_log.dropped", "{line}",
            "Access log lines dropped because the writer was behind (the queue was full).");
    }

    public ChannelReader<string> Reader => _lines.Reader;

    /// <summary>Lines dropped since start.</summary>
    public long Dropped => Interlocked.Read(ref _droppedTotal);

    /// <summary>Queues a line; false (and counted) when the queue is full or closed.</summary>
    public bool TryAdd(string line)
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
