namespace Sluice.Contracts.Messages;

/// <summary>
/// Event: an ingestion job wrote a dataset to the raw zone of the object store. Correlates by
/// <see cref="JobId"/>. The validation service answers it with <see cref="DatasetValidated"/>.
/// </summary>
public sealed record DatasetLanded
{
    public required string JobId { get; init; }

    /// <summary>The source the data came from: the {source} of <c>raw/{source}/ingest_date=.../{jobId}/part-NNNNN.ndjson</c>.</summary>
    public required string Source { get; init; }

    /// <summary>The NDJSON part keys, in the order they are read as one table (not the manifest).</summary>
    public required IReadOnlyList<string> ObjectKeys { get; init; }

    /// <summary>Records written across all parts.</summary>
    public required long RecordCount { get; init; }

    public required DateTimeOffset LandedAt { get; init; }
}
