using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Ingestion.Storage;

namespace Sluice.Ingestion.Landing;

/// <summary>The manifest next to a job's parts: what landed, with counts, sizes, checksums and the watermark.</summary>
internal sealed record Manifest
{
    public required string JobId { get; init; }

    public required string Source { get; init; }

    public required IReadOnlyList<ManifestPart> Parts { get; init; }

    /// <summary>The Parquet copies of the parts in the curated zone (same order); null when the source has none.</summary>
    public IReadOnlyList<ManifestPart>? CuratedParts { get; init; }

    /// <summary>For a job started by an object landing: the object whose records drove its requests.</summary>
    public string? TriggerObjectKey { get; init; }

    public required long Records { get; init; }

    public required long Bytes { get; init; }

    public string? StartWatermark { get; init; }

    public string? Watermark { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset LandedAt { get; init; }

    /// <summary>For a push stream's part: its shard and the sequence numbers of its first and last record.</summary>
    public string? ShardId { get; init; }

    public string? FirstSequenceNumber { get; init; }

    public string? LastSequenceNumber { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static Manifest Of(JobRecord job, IReadOnlyList<LandedPart> parts, IReadOnlyList<LandedPart>? curatedParts, DateTimeOffset landedAt) => new()
    {
        JobId = job.JobId,
        Source = job.Source,
        Parts = [.. parts.Select(p => new ManifestPart(p.Key, p.Records, p.Bytes, p.Sha256))],
        CuratedParts = curatedParts?.Select(p => new ManifestPart(p.Key, p.Records, p.Bytes, p.Sha256)).ToList(),
        TriggerObjectKey = job.TriggerObjectKey,
        Records = parts.Sum(p => p.Records),
        Bytes = parts.Sum(p => p.Bytes),
        StartWatermark = job.StartWatermark,
        Watermark = job.Watermark,
        CreatedAt = job.CreatedAt,
        LandedAt = landedAt,
    };
}

internal sealed record ManifestPart(string Key, long Records, long Bytes, string Sha256);
