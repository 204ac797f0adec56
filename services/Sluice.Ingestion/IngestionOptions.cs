namespace Sluice.Ingestion;

/// <summary>Settings of the Ingestion service, bound from section "Sluice:Ingestion".</summary>
public sealed class IngestionOptions
{
    public const string SectionName = "Sluice:Ingestion";

    /// <summary>Where the store (ingestion.db) and the spool of running jobs live. Defaults to ./data.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Jobs that page through their sources at once; others wait as QUEUED. Defaults to 4.</summary>
    public int MaxConcurrentJobs { get; set; } = 4;

    /// <summary>A part rolls over to the next once it holds this many bytes. Defaults to 64 MiB.</summary>
    public long PartBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest page body read from a source, in bytes. Defaults to 64 MiB.</summary>
    public long MaxPageBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest source definition accepted, in characters. Defaults to 65,536.</summary>
    public int MaxDefinitionLength { get; set; } = 65_536;

    /// <summary>
    /// WatchJob follows a landed job through validation and the load (true), or ends once it has
    /// landed (false, for a service running without the others). Defaults to true.
    /// </summary>
    public bool AwaitPipeline { get; set; } = true;

    /// <summary>How often schedules are checked for a due run. Defaults to 1 second.</summary>
    public TimeSpan SchedulePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Push streams: shard limits, batch limits and landing (section Sluice:Ingestion:Streams).</summary>
    public StreamOptions Streams { get; set; } = new();

    /// <summary>Jobs started by objects landing under a source's trigger prefix (section Sluice:Ingestion:Triggers).</summary>
    public TriggerOptions Triggers { get; set; } = new();

    internal string DatabasePath => Path.Combine(DataDirectory, "ingestion.db");

    internal string SpoolDirectory => Path.Combine(DataDirectory, "spool");

    internal string StreamsDirectory => Path.Combine(DataDirectory, "streams");
}

/// <summary>Settings of push streams, bound from "Sluice:Ingestion:Streams".</summary>
public sealed class StreamOptions
{
    /// <summary>Records a shard admits per second (and in a burst). Defaults to 1,000, as a Kinesis shard.</summary>
    public int ShardRecordsPerSecond { get; set; } = 1000;

    /// <summary>Bytes (data plus partition key) a shard admits per second (and in a burst). Defaults to 1 MiB, as a Kinesis shard.</summary>
    public long ShardBytesPerSecond { get; set; } = 1024 * 1024;

    /// <summary>Most shards a stream may have. Defaults to 64.</summary>
    public int MaxShards { get; set; } = 64;

    /// <summary>A shard's part is landed once it holds this many bytes. Defaults to 8 MiB.</summary>
    public long PartBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>A shard's part is landed once its first record is this old, even if small. Defaults to 30 seconds.</summary>
    public TimeSpan PartMaxAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the flusher looks for parts to land. Defaults to 1 second.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Settings of object-landed triggers, bound from "Sluice:Ingestion:Triggers".</summary>
public sealed class TriggerOptions
{
    /// <summary>How often each trigger prefix is listed for new objects. Defaults to 5 seconds.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest trigger object read, in bytes; a larger one fails its job. Defaults to 16 MiB.</summary>
    public long MaxObjectBytes { get; set; } = 16L * 1024 * 1024;
}
