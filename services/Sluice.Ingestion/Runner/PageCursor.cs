using System.Text.Json;

namespace Sluice.Ingestion.Runner;

/// <summary>
/// Where the next page of a job starts: the checkpoint saved after each page is durably written.
/// Only one member is in use, by pagination type; <see cref="Done"/> once the last page is read.
/// </summary>
internal sealed record PageCursor
{
    public long? Page { get; init; }

    public long? Offset { get; init; }

    public string? Cursor { get; init; }

    /// <summary>LinkHeader, NextUrl: the absolute URL of the next page (the first request has none).</summary>
    public string? NextUrl { get; init; }

    public bool Done { get; init; }

    /// <summary>For a job driven by a trigger object: the record (from 0) whose request is being paged.</summary>
    public int? Request { get; init; }

    /// <summary>The greatest watermark value seen so far.</summary>
    public string? Watermark { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this);

    public static PageCursor? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize<PageCursor>(json);

    /// <summary>What WatchJob shows.</summary>
    public string Describe() => Done ? ""
        : Request is { } request ? $"record {request + 1}: " + (this with { Request = null }).Describe()
        : Page is { } page ? $"page {page}"
        : Offset is { } offset ? $"offset {offset}"
        : Cursor is { } cursor ? $"cursor {cursor}"
        : NextUrl is { } url ? $"url {new Uri(url).GetLeftPart(UriPartial.Path)}"
        : "first page";
}
