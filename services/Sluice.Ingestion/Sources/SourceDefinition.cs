using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Ingestion.Sources;

/// <summary>
/// A declarative REST source, as written by its owner in YAML or JSON (camelCase keys). Secrets
/// appear only by name: <c>Sluice:Ingestion:Secrets:{name}</c> holds the value.
/// </summary>
internal sealed class SourceDefinition
{
    /// <summary>Scheme, host and optional base path, e.g. https://api.example.com/v2.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Appended to <see cref="BaseUrl"/>, e.g. /items.</summary>
    public string Path { get; set; } = "";

    /// <summary>Fixed query parameters sent with every first request.</summary>
    public Dictionary<string, string> Query { get; set; } = [];

    /// <summary>Fixed headers (never secrets: use <see cref="AuthDefinition"/>).</summary>
    public Dictionary<string, string> Headers { get; set; } = [];

    public AuthDefinition Auth { get; set; } = new();

    public PaginationDefinition Pagination { get; set; } = new();

    /// <summary>A dotted path to the records array in each page (e.g. data or result.items); empty when the page is the array.</summary>
    public string RecordsPath { get; set; } = "";

    public RateLimitDefinition RateLimit { get; set; } = new();

    public RetryDefinition Retry { get; set; } = new();

    public IncrementalDefinition? Incremental { get; set; }

    public ScheduleDefinition? Schedule { get; set; }

    /// <summary>The zone prefix parts land under. Defaults to raw.</summary>
    public string DestinationPrefix { get; set; } = "raw";

    /// <summary>A Parquet copy of each part in a curated zone; null for none (see <see cref="CuratedDefinition"/>).</summary>
    public CuratedDefinition? Curated { get; set; }

    /// <summary>Jobs started by objects landing under a prefix of the object store; null for none.</summary>
    public TriggerDefinition? Trigger { get; set; }

    /// <summary>The DQDL ruleset the landed dataset is checked with (registered with the validation service for this source); null for none.</summary>
    public string? Ruleset { get; set; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNameCaseInsensitive = false,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };
}

internal enum AuthType { None, ApiKey, Bearer, Basic, OAuth2 }

internal sealed class AuthDefinition
{
    public AuthType Type { get; set; } = AuthType.None;

    /// <summary>ApiKey: the header carrying the key (e.g. X-Api-Key); or set <see cref="QueryParam"/>.</summary>
    public string? Header { get; set; }

    /// <summary>ApiKey: the query parameter carrying the key.</summary>
    public string? QueryParam { get; set; }

    /// <summary>ApiKey, Bearer: the name of the secret holding the key or token. OAuth2: the client secret.</summary>
    public string? Secret { get; set; }

    /// <summary>Basic: the user name (not a secret).</summary>
    public string? Username { get; set; }

    /// <summary>Basic: the name of the secret holding the password.</summary>
    public string? PasswordSecret { get; set; }

    /// <summary>OAuth2 client credentials: the token endpoint.</summary>
    public string? TokenUrl { get; set; }

    public string? ClientId { get; set; }

    public string? Scope { get; set; }
}

internal enum PaginationType { None, PageNumber, Offset, Cursor, LinkHeader, NextUrl }

internal sealed class PaginationDefinition
{
    public PaginationType Type { get; set; } = PaginationType.None;

    /// <summary>Records asked per page (sent in <see cref="SizeParam"/> when set). Defaults to 100.</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>PageNumber: the page parameter (e.g. _page or page).</summary>
    public string? PageParam { get; set; }

    /// <summary>The first page number. Defaults to 1.</summary>
    public long StartPage { get; set; } = 1;

    /// <summary>The page-size parameter (e.g. _limit, per_page, limit); null sends none.</summary>
    public string? SizeParam { get; set; }

    /// <summary>Offset: the offset parameter (e.g. offset).</summary>
    public string? OffsetParam { get; set; }

    /// <summary>Cursor: the parameter carrying the cursor (e.g. starting_after or cursor).</summary>
    public string? CursorParam { get; set; }

    /// <summary>Cursor: a dotted path to the next cursor in the body (e.g. meta.next_cursor).</summary>
    public string? CursorPath { get; set; }

    /// <summary>Cursor: the next cursor is this field of the page's last record (Stripe's id with starting_after).</summary>
    public string? CursorField { get; set; }

    /// <summary>NextUrl: a dotted path to the next page's URL in the body (e.g. next_page or links.next).</summary>
    public string? NextUrlPath { get; set; }

    /// <summary>A dotted path to a boolean saying more pages follow (e.g. has_more); false stops.</summary>
    public string? HasMorePath { get; set; }

    /// <summary>A dotted path to a boolean saying the stream ended (e.g. Zendesk's end_of_stream); true stops.</summary>
    public string? EndPath { get; set; }

    /// <summary>Most pages one job reads; a source with more fails the job. Defaults to 1,000,000.</summary>
    public long MaxPages { get; set; } = 1_000_000;
}

internal sealed class RateLimitDefinition
{
    /// <summary>Requests per second sent to the source; 0 for no limit. Defaults to 10.</summary>
    public double RequestsPerSecond { get; set; } = 10;

    /// <summary>Requests that may go at once after a quiet spell. Defaults to 1.</summary>
    public int Burst { get; set; } = 1;
}

internal sealed class RetryDefinition
{
    /// <summary>Retries of one request before the job fails. Defaults to 5.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>The first backoff (doubled each retry, with jitter). Defaults to 1 second.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait, Retry-After included. Defaults to 60 seconds.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>One attempt taking longer is abandoned and retried. Defaults to 30 seconds.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

internal sealed class IncrementalDefinition
{
    /// <summary>The record field whose greatest value is the watermark (e.g. updated_at).</summary>
    public string? Field { get; set; }

    /// <summary>The request parameter that carries the watermark on the next run (e.g. start_time or updated_at_gte).</summary>
    public string? Param { get; set; }

    /// <summary>The value sent on the first run; null reads everything.</summary>
    public string? InitialValue { get; set; }

    /// <summary>Subtracted from a time watermark (seconds for a number, a time span for a date) to catch late writes.</summary>
    public TimeSpan Lookback { get; set; }
}

internal sealed class ScheduleDefinition
{
    /// <summary>Run every interval (at least one second).</summary>
    public TimeSpan? Interval { get; set; }

    /// <summary>Or run on a five-field cron expression, in UTC.</summary>
    public string? Cron { get; set; }
}

internal sealed class CuratedDefinition
{
    /// <summary>The zone prefix the Parquet parts land under: {prefix}/{source}/ingest_date=.../{jobId}/part-00000.parquet. Defaults to curated.</summary>
    public string Prefix { get; set; } = "curated";
}

internal sealed class TriggerDefinition
{
    /// <summary>
    /// The object-store prefix watched (e.g. uploads/customers/): each object landing under it starts
    /// one job, whose records (NDJSON or a JSON array) fill the {placeholders} of path and query, one
    /// request (with its pages) per record.
    /// </summary>
    public string? Prefix { get; set; }
}
