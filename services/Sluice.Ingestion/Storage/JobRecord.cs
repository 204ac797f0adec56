using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Storage;

/// <summary>A job as stored: its progress, the checkpoint it resumes from and the parts it has landed.</summary>
internal sealed record JobRecord
{
    public required string JobId { get; init; }

    public required string Source { get; init; }

    public JobState State { get; init; } = JobState.Queued;

    public JobPhase Phase { get; init; } = JobPhase.Queued;

    public JobTrigger Trigger { get; init; } = JobTrigger.OnDemand;

    public bool FullRefresh { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public long Pages { get; init; }

    public long Records { get; init; }

    public long Bytes { get; init; }

    public long Retries { get; init; }

    /// <summary>The checkpoint: where the next page starts, as the runner's JSON; null before the first page.</summary>
    public string? Checkpoint { get; init; }

    /// <summary>A readable form of the cursor for WatchJob.</summary>
    public string Cursor { get; init; } = "";

    /// <summary>The parts uploaded so far.</summary>
    public IReadOnlyList<LandedPart> Parts { get; init; } = [];

    /// <summary>Their Parquet copies in the curated zone, when the source has one.</summary>
    public IReadOnlyList<LandedPart> CuratedParts { get; init; } = [];

    /// <summary>For a job started by an object landing: the object's key and version (size and time), whose records drive the requests.</summary>
    public string? TriggerObjectKey { get; init; }

    /// <summary>Bytes and records of the part being written (in the local spool) at the checkpoint.</summary>
    public long SpoolBytes { get; init; }

    public long SpoolRecords { get; init; }

    /// <summary>A part rolled and durable in the spool whose upload was not confirmed at the checkpoint; a restart puts it again.</summary>
    public PendingPart? PendingPart { get; init; }

    /// <summary>The ingest date of the job's keys (UTC day it was created).</summary>
    public required string IngestDate { get; init; }

    /// <summary>The watermark the job started from (sent to the source), and the greatest value it saw.</summary>
    public string? StartWatermark { get; init; }

    public string? Watermark { get; init; }

    public string? ManifestKey { get; init; }

    public string? Error { get; init; }

    public string? Table { get; init; }

    /// <summary>DatasetLanded went out; a landed job without it gets it at the next start.</summary>
    public bool LandedPublished { get; init; }

    /// <summary>Whether a start of the service has work to do for it: run it on, or publish its landing.</summary>
    public bool NeedsWork => State is JobState.Queued or JobState.Running || (Phase == JobPhase.Landed && !LandedPublished);
}

/// <summary>One part in the raw zone.</summary>
internal sealed record LandedPart(string Key, long Records, long Bytes, string Sha256);

/// <summary>A rolled part waiting for its upload: its records and bytes in the job's spool.</summary>
internal sealed record PendingPart(long Records, long Bytes);
