namespace Sluice.Ingestion.Streams;

/// <summary>
/// A shard's two token buckets, records and bytes, each holding one second's allowance and refilled
/// continuously from the injected clock. A record is admitted only when both have room. Not
/// thread-safe: the shard's lock guards it.
/// </summary>
internal sealed class ShardThrottle
{
    private readonly TimeProvider _time;
    private readonly double _recordsPerSecond;
    private readonly double _bytesPerSecond;
    private double _records;
    private double _bytes;
    private long _refilledAt;

    public ShardThrottle(long recordsPerSecond, long bytesPerSecond, TimeProvider time)
    {
        _time = time;
        _recordsPerSecond = _records = recordsPerSecond;
        _bytesPerSecond = _bytes = bytesPerSecond;
        _refilledAt = time.GetTimestamp();
    }

    public bool TryTake(long bytes)
    {
        var now = _time.GetTimestamp();
        var seconds = _time.GetElapsedTime(_refilledAt, now).TotalSeconds;
        if (seconds > 0)
        {
            _records = Math.Min(_recordsPerSecond, _records + seconds * _recordsPerSecond);
            _bytes = Math.Min(_bytesPerSecond, _bytes + seconds * _bytesPerSecond);
            _refilledAt = now;
        }
        if (_records < 1 || _bytes < bytes)
        {
            return false;
        }
        _records -= 1;
        _bytes -= bytes;
        return true;
    }
}
