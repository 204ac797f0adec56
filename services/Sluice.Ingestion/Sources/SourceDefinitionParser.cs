using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cronos;
using Microsoft.Extensions.Configuration;
using Sluice.Ingestion.V1;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sluice.Ingestion.Sources;

/// <summary>A definition that does not hold, with every problem found (field path, description).</summary>
internal sealed class SourceDefinitionException(IReadOnlyList<(string Field, string Description)> problems)
    : Exception(problems.Count == 0 ? "The definition is not valid." : $"{problems[0].Field}: {problems[0].Description}" + (problems.Count > 1 ? $" (and {problems.Count - 1} more problem(s))" : ""))
{
    public IReadOnlyList<(string Field, string Description)> Problems { get; } = problems;
}

/// <summary>Reads a source definition from YAML or JSON and checks it whole, listing every problem.</summary>
internal sealed partial class SourceDefinitionParser(IConfiguration configuration)
{
    public const string SecretsSection = "Sluice:Ingestion:Secrets";

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex SourceName();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex SecretName();

    [GeneratedRegex("^[a-z0-9][a-z0-9_/=-]{0,200}$")]
    private static partial Regex Prefix();

    [GeneratedRegex("^[A-Za-z0-9_=-][A-Za-z0-9_.=/-]{0,500}/$")]
    private static partial Regex TriggerPrefix();

    /// <summary>A {placeholder} of path or query, filled from a trigger record: a dotted path into it.</summary>
    [GeneratedRegex(@"\{([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})\}")]
    public static partial Regex Placeholder();


    public static bool IsValidSourceName(string name) => SourceName().IsMatch(name);

    /// <summary>Parses and checks <paramref name="text"/>; throws <see cref="SourceDefinitionException"/> naming every problem.</summary>
    public SourceDefinition Parse(string text, DefinitionFormat format, string fieldPrefix = "definition")
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new SourceDefinitionException([(fieldPrefix, "is required: a source definition in YAML or JSON.")]);
        }
        var isJson = format == DefinitionFormat.Json || (format == DefinitionFormat.Unspecified && text.TrimStart().StartsWith('{'));
        JsonNode? node;
        try
        {
            node = isJson ? JsonNode.Parse(text) : YamlToJson(text);
        }
        catch (Exception exception) when (exception is JsonException or YamlException)
        {
            throw new SourceDefinitionException([(fieldPrefix, $"is not valid {(isJson ? "JSON" : "YAML")}: {exception.Message}")]);
        }
        if (node is not JsonObject)
        {
            throw new SourceDefinitionException([(fieldPrefix, "must be an object (a mapping of settings such as baseUrl and pagination).")]);
        }
        SourceDefinition? definition;
        try
        {
            definition = node.Deserialize<SourceDefinition>(SourceDefinition.Json);
        }
        catch (JsonException exception)
        {
            var where = string.IsNullOrEmpty(exception.Path) || exception.Path == "$" ? fieldPrefix : fieldPrefix + exception.Path.TrimStart('$');
            throw new SourceDefinitionException([(where, exception.Message)]);
        }
        if (definition is null)
        {
            throw new SourceDefinitionException([(fieldPrefix, "must not be null.")]);
        }
        var problems = new List<(string, string)>();
        Check(definition, problems, fieldPrefix);
        if (problems.Count > 0)
        {
            throw new SourceDefinitionException(problems);
        }
        return definition;
    }

    /// <summary>The canonical JSON kept in the store and shown by GetSource.</summary>
    public static string ToJson(SourceDefinition definition) => JsonSerializer.Serialize(definition, SourceDefinition.Json);

    public static SourceDefinition FromStoredJson(string json) => JsonSerializer.Deserialize<SourceDefinition>(json, SourceDefinition.Json)!;

    /// <summary>The value of a named secret, or null when it is not configured.</summary>
    public string? ResolveSecret(string? name) => string.IsNullOrEmpty(name) ? null : configuration[$"{SecretsSection}:{name}"];

    private void Check(SourceDefinition d, List<(string, string)> problems, string p)
    {
        if (string.IsNullOrWhiteSpace(d.BaseUrl))
        {
            problems.Add(($"{p}.baseUrl", "is required, e.g. https://api.example.com."));
        }
        else if (!Uri.TryCreate(d.BaseUrl, UriKind.Absolute, out var baseUri) || (baseUri.Scheme != Uri.UriSchemeHttp && baseUri.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add(($"{p}.baseUrl", $"'{d.BaseUrl}' is not an absolute http or https URL."));
        }
        else if (!string.IsNullOrEmpty(baseUri.Query) || !string.IsNullOrEmpty(baseUri.UserInfo))
        {
            problems.Add(($"{p}.baseUrl", "must not carry a query or credentials; use query and auth."));
        }
        if (d.Path.Length > 2048 || d.Path.Contains('?') || d.Path.Contains('#'))
        {
            problems.Add(($"{p}.path", "must be a path of at most 2048 characters without '?' or '#'; fixed parameters go in query."));
        }
        foreach (var (name, _) in d.Headers)
        {
            if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(($"{p}.headers.{name}", "credentials go in auth, by secret name, never in the definition."));
            }
        }
        CheckAuth(d.Auth, problems, $"{p}.auth");
        CheckPagination(d.Pagination, problems, $"{p}.pagination");
        if (d.RecordsPath.Length > 256)
        {
            problems.Add(($"{p}.recordsPath", "is longer than 256 characters."));
        }
        if (d.RateLimit.RequestsPerSecond < 0 || d.RateLimit.RequestsPerSecond > 100_000 || double.IsNaN(d.RateLimit.RequestsPerSecond))
        {
            problems.Add(($"{p}.rateLimit.requestsPerSecond", "must be between 0 (no limit) and 100000."));
        }
        if (d.RateLimit.Burst < 1 || d.RateLimit.Burst > 10_000)
        {
            problems.Add(($"{p}.rateLimit.burst", "must be between 1 and 10000."));
        }
        if (d.Retry.MaxRetries < 0 || d.Retry.MaxRetries > 50)
        {
            problems.Add(($"{p}.retry.maxRetries", "must be between 0 and 50."));
        }
        if (d.Retry.BaseDelay <= TimeSpan.Zero || d.Retry.BaseDelay > TimeSpan.FromMinutes(10))
        {
            problems.Add(($"{p}.retry.baseDelay", "must be positive and at most 10 minutes."));
        }
        if (d.Retry.MaxDelay < d.Retry.BaseDelay || d.Retry.MaxDelay > TimeSpan.FromHours(1))
        {
            problems.Add(($"{p}.retry.maxDelay", "must be at least baseDelay and at most 1 hour."));
        }
        if (d.Retry.AttemptTimeout < TimeSpan.FromMilliseconds(10) || d.Retry.AttemptTimeout > TimeSpan.FromHours(1))
        {
            problems.Add(($"{p}.retry.attemptTimeout", "must be between 10 ms and 1 hour."));
        }
        if (d.Incremental is { } incremental)
        {
            if (string.IsNullOrWhiteSpace(incremental.Field))
            {
                problems.Add(($"{p}.incremental.field", "is required: the record field whose greatest value is the watermark."));
            }
            if (string.IsNullOrWhiteSpace(incremental.Param))
            {
                problems.Add(($"{p}.incremental.param", "is required: the request parameter that carries the watermark."));
            }
            if (incremental.Lookback < TimeSpan.Zero)
            {
                problems.Add(($"{p}.incremental.lookback", "must not be negative."));
            }
        }
        if (d.Schedule is { } schedule)
        {
            if ((schedule.Interval is null) == (schedule.Cron is null))
            {
                problems.Add(($"{p}.schedule", "needs exactly one of interval and cron."));
            }
            if (schedule.Interval is { } interval && (interval < TimeSpan.FromSeconds(1) || interval > TimeSpan.FromDays(366)))
            {
                problems.Add(($"{p}.schedule.interval", "must be between 1 second and 366 days."));
            }
            if (schedule.Cron is { } cron)
            {
                try
                {
                    CronExpression.Parse(cron);
                }
                catch (CronFormatException exception)
                {
                    problems.Add(($"{p}.schedule.cron", $"'{cron}' is not a five-field cron expression: {exception.Message}"));
                }
            }
        }
        if (!Prefix().IsMatch(d.DestinationPrefix) || d.DestinationPrefix.Contains("//") || d.DestinationPrefix.EndsWith('/'))
        {
            problems.Add(($"{p}.destinationPrefix", $"'{d.DestinationPrefix}' must be lowercase letters, digits, '_', '-', '=' and inner '/' (e.g. raw)."));
        }
        if (d.Curated is { } curated && (!Prefix().IsMatch(curated.Prefix) || curated.Prefix.Contains("//") || curated.Prefix.EndsWith('/') || curated.Prefix == d.DestinationPrefix))
        {
            problems.Add(($"{p}.curated.prefix", $"'{curated.Prefix}' must be lowercase letters, digits, '_', '-', '=' and inner '/' (e.g. curated), other than destinationPrefix."));
        }
        CheckTrigger(d, problems, p);
        if (d.Ruleset is { Length: > 65_536 })
        {
            problems.Add(($"{p}.ruleset", "is longer than 65536 characters."));
        }
    }

    /// <summary>The placeholders of path and query values, in order of appearance.</summary>
    public static IReadOnlyList<string> Placeholders(SourceDefinition d) =>
        [.. Placeholder().Matches(d.Path).Concat(d.Query.Values.SelectMany(v => Placeholder().Matches(v))).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal)];

    private static void CheckTrigger(SourceDefinition d, List<(string, string)> problems, string p)
    {
        var placeholders = Placeholders(d);
        if (d.Trigger is not { } trigger)
        {
            if (placeholders.Count > 0)
            {
                problems.Add(($"{p}.path", $"has the placeholder {{{placeholders[0]}}}, which only the records of a trigger object can fill; add trigger.prefix."));
            }
            return;
        }
        if (placeholders.Count > 0 && d.Schedule is not null)
        {
            problems.Add(($"{p}.schedule", $"a source whose path or query has placeholders ({{{placeholders[0]}}}) runs only for trigger objects, not on a schedule."));
        }
        var prefix = trigger.Prefix ?? "";
        if (!TriggerPrefix().IsMatch(prefix) || prefix.Contains("//") || prefix.Split('/').Any(s => s is "." or ".."))
        {
            problems.Add(($"{p}.trigger.prefix", $"'{prefix}' must be an object-store prefix ending with '/' (letters, digits, '_', '-', '.', '=' and '/'), e.g. uploads/customers/."));
            return;
        }
        // The source's own landing would trigger it again, and again.
        foreach (var zone in new[] { d.DestinationPrefix, d.Curated?.Prefix }.OfType<string>())
        {
            if (prefix.StartsWith(zone + "/", StringComparison.Ordinal) || (zone + "/").StartsWith(prefix, StringComparison.Ordinal))
            {
                problems.Add(($"{p}.trigger.prefix", $"'{prefix}' overlaps the zone '{zone}/' the source lands in: its own parts would trigger it."));
            }
        }
    }

    private void CheckAuth(AuthDefinition auth, List<(string, string)> problems, string p)
    {
        switch (auth.Type)
        {
            case AuthType.None:
                break;
            case AuthType.ApiKey:
                if (string.IsNullOrWhiteSpace(auth.Header) == string.IsNullOrWhiteSpace(auth.QueryParam))
                {
                    problems.Add(($"{p}", "apiKey needs exactly one of header and queryParam."));
                }
                CheckSecret(auth.Secret, problems, $"{p}.secret");
                break;
            case AuthType.Bearer:
                CheckSecret(auth.Secret, problems, $"{p}.secret");
                break;
            case AuthType.Basic:
                if (string.IsNullOrEmpty(auth.Username))
                {
                    problems.Add(($"{p}.username", "is required for basic auth."));
                }
                CheckSecret(auth.PasswordSecret, problems, $"{p}.passwordSecret");
                break;
            case AuthType.OAuth2:
                if (!Uri.TryCreate(auth.TokenUrl, UriKind.Absolute, out var tokenUri) || (tokenUri.Scheme != Uri.UriSchemeHttp && tokenUri.Scheme != Uri.UriSchemeHttps))
                {
                    problems.Add(($"{p}.tokenUrl", "is required for oauth2: the absolute http(s) URL of the token endpoint."));
                }
                if (string.IsNullOrEmpty(auth.ClientId))
                {
                    problems.Add(($"{p}.clientId", "is required for oauth2."));
                }
                CheckSecret(auth.Secret, problems, $"{p}.secret");
                break;
        }
    }

    private void CheckSecret(string? name, List<(string, string)> problems, string field)
    {
        if (string.IsNullOrEmpty(name))
        {
            problems.Add((field, "is required: the name of a secret configured under Sluice:Ingestion:Secrets."));
        }
        else if (!SecretName().IsMatch(name))
        {
            problems.Add((field, "must be a secret name (letters, digits, '_', '.', '-'), never the secret itself."));
        }
        else if (ResolveSecret(name) is null)
        {
            problems.Add((field, $"names secret '{name}', which is not configured (Sluice:Ingestion:Secrets:{name})."));
        }
    }

    private static void CheckPagination(PaginationDefinition pagination, List<(string, string)> problems, string p)
    {
        if (pagination.PageSize < 1 || pagination.PageSize > 100_000)
        {
            problems.Add(($"{p}.pageSize", "must be between 1 and 100000."));
        }
        if (pagination.MaxPages < 1)
        {
            problems.Add(($"{p}.maxPages", "must be positive."));
        }
        switch (pagination.Type)
        {
            case PaginationType.PageNumber when string.IsNullOrWhiteSpace(pagination.PageParam):
                problems.Add(($"{p}.pageParam", "is required for pageNumber pagination (e.g. page)."));
                break;
            case PaginationType.Offset when string.IsNullOrWhiteSpace(pagination.OffsetParam):
                problems.Add(($"{p}.offsetParam", "is required for offset pagination (e.g. offset)."));
                break;
            case PaginationType.Offset when string.IsNullOrWhiteSpace(pagination.SizeParam):
                problems.Add(($"{p}.sizeParam", "is required for offset pagination (e.g. limit)."));
                break;
            case PaginationType.Cursor:
                if (string.IsNullOrWhiteSpace(pagination.CursorParam))
                {
                    problems.Add(($"{p}.cursorParam", "is required for cursor pagination (e.g. starting_after)."));
                }
                if (string.IsNullOrWhiteSpace(pagination.CursorPath) == string.IsNullOrWhiteSpace(pagination.CursorField))
                {
                    problems.Add(($"{p}", "cursor pagination needs exactly one of cursorPath (next cursor in the body) and cursorField (from the last record)."));
                }
                break;
            case PaginationType.NextUrl when string.IsNullOrWhiteSpace(pagination.NextUrlPath):
                problems.Add(($"{p}.nextUrlPath", "is required for nextUrl pagination (e.g. next_page)."));
                break;
        }
    }

    private static JsonNode? YamlToJson(string text)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(text))
        {
            stream.Load(reader);
        }
        if (stream.Documents.Count != 1)
        {
            throw new YamlException($"expected one YAML document, found {stream.Documents.Count}.");
        }
        return Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (key, child) in mapping.Children)
                {
                    var name = (key as YamlScalarNode)?.Value ?? throw new YamlException(key.Start, key.End, "mapping keys must be plain names.");
                    if (obj.ContainsKey(name))
                    {
                        throw new YamlException(key.Start, key.End, $"duplicate key '{name}'.");
                    }
                    obj[name] = Convert(child);
                }
                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                foreach (var item in sequence.Children)
                {
                    array.Add(Convert(item));
                }
                return array;
            case YamlScalarNode scalar:
                // Scalars stay text: the settings read numbers and time spans from strings, and
                // query or header values keep what was written (007 stays 007).
                var value = scalar.Value ?? "";
                return scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && value is "" or "~" or "null" ? null : JsonValue.Create(value);
            default:
                throw new YamlException(node.Start, node.End, "aliases and tags are not supported in source definitions.");
        }
    }
}
