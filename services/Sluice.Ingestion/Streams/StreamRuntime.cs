using Sluice.Ingestion.Storage;

namespace Sluice.Ingestion.Streams;

/// <summary>A stream while the service runs: its definition, each shard's log and throttle, and the gate of its landing.</summary>
internal sealed class StreamRuntime : IDisposable
{
    public StreamRuntime(StoredStream definition, string directory, IReadOnlyDictionary<int, (long LastSegment, long LastSequence, long Records, int Parts)> checkpoints,
        StreamOptions options, TimeProvider time)
    {
        Definition = definition;
        Directory = directory;
        Logs = new ShardLog[definition.ShardCount];
        Throttles = new ShardThrottle[definition.ShardCount];
        for (var shard = 0; shard < definition.ShardCount; shard++)
        {
            var (lastSegment, lastSequence) = checkpoints.TryGetValue(shard, out var landed) ? (landed.LastSegment, landed.LastSequence) : (-1L, 0L);
            Logs[shard] = new ShardLog(Path.Combine(directory, ShardHash.ShardId(shard)), shard, lastSegment, lastSequence, time);
            Throttles[shard] = new ShardThrottle(options.ShardRecordsPerSecond, options.ShardBytesPerSecond, time);
        }
    }

    public StoredStream Definition { get; }

    public string Name => Definition.Name;

    /// <summary>The stream's folder under the data directory (streams/{name}).</summary>
    public string Directory { get; }

    public ShardLog[] Logs { get; }

    public ShardThrottle[] Throttles { get; }

    /// <summary>One landing of this stream at a time (the flusher's, or DeleteStream's last one).</summary>
    public SemaphoreSlim LandingGate { get; } = new(1, 1);

    /// <summary>Set by DeleteStream: no record is admitted any more.</summary>
    public volatile bool Deleted;

    /// <summary>Set once the stream's last records landed and it was removed from the store.</summary>
    public volatile bool Removed;

    public void Dispose()
    {
        foreach (var log in Logs)
        {
            log.Dispose();
        }
    }
}
