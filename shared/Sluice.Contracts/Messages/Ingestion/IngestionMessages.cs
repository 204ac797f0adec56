namespace Sluice.Contracts.Messages;

// Ingestion messages. They correlate by JobId, a lowercase UUID string.

/// <summary>
/// Command: run an ingestion job for <see cref="Source"/> under the sender-chosen
/// <see cref="JobId"/>. Sending the same command twice starts one job.
/// </summary>
public sealed record StartIngestion
{
    /// <summary>The id the job gets: a new UUID chosen by the sender, to correlate the job's events.</summary>
    public required string JobId { get; init; }

    public required string Source { get; init; }

    /// <summary>Ignore the source's stored watermark and read everything. Defaults to false.</summary>
    public bool FullRefresh { get; init; }
}

/// <summary>
/// Event: the query service loaded a validated dataset (<see cref="DatasetValidated"/> with
/// Passed, same <see cref="JobId"/>) into the warehouse table named after its source.
/// </summary>
public sealed record DatasetLoaded
{
    public required string JobId { get; init; }

    public required string Source { get; init; }

    /// <summary>The warehouse table (created if it was absent).</summary>
    public required string Table { get; init; }

    public required long RowCount { get; init; }

    /// <summary>The query service's statement that loaded the rows (DescribeStatement shows it); null when the load was not a statement.</summary>
    public string? StatementId { get; init; }

    public required DateTimeOffset LoadedAt { get; init; }
}

/// <summary>Event: the query service could not load a validated dataset; <see cref="Error"/> says why.</summary>
public sealed record DatasetLoadFailed
{
    public required string JobId { get; init; }

    public required string Source { get; init; }

    public required string Error { get; init; }

    /// <summary>The load statement that failed (DescribeStatement shows it); null when the load failed before its statement ran or was not a statement.</summary>
    public string? StatementId { get; init; }

    public required DateTimeOffset FailedAt { get; init; }
}
