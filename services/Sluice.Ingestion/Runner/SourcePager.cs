using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Sluice.Ingestion.Sources;

namespace Sluice.Ingestion.Runner;

/// <summary>One page read from the source: its records and where the next page starts.</summary>
internal sealed class SourcePage(JsonDocument document, IDisposable? body, JsonElement records, PageCursor next) : IDisposable
{
    public JsonElement Records { get; } = records;

    public PageCursor Next { get; } = next;

    public void Dispose()
    {
        document.Dispose();
        body?.Dispose();
    }
}

/// <summary>
/// Builds each page's request from the cursor, reads it, and works out the next cursor by the
/// source's pagination. <paramref name="bindings"/> fill the {placeholders} of path and query (a
/// trigger record's values).
/// </summary>
internal sealed class SourcePager(SourceDefinition definition, HttpClient client, string? startWatermark, IReadOnlyDictionary<string, string>? bindings = null)
{
    private readonly PaginationDefinition _pagination = definition.Pagination;

    public PageCursor First() => _pagination.Type switch
    {
        PaginationType.PageNumber => new PageCursor { Page = _pagination.StartPage },
        PaginationType.Offset => new PageCursor { Offset = 0 },
        _ => new PageCursor(),
    };

    public async Task<SourcePage> FetchAsync(PageCursor cursor, CancellationToken cancellationToken)
    {
        var uri = RequestUri(cursor);
        HttpResponseMessage response;
        try
        {
            // The pipeline has read the body already (into a pooled buffer); HttpClient need not buffer it again.
            response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or Polly.Timeout.TimeoutRejectedException)
        {
            throw new SourceRunException($"GET {Describe(uri)} failed after {definition.Retry.MaxRetries} retries: {exception.Message}", exception);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                var retried = IsTransient((int)response.StatusCode) ? $" after {definition.Retry.MaxRetries} retries" : "";
                throw new SourceRunException($"GET {Describe(uri)} answered {(int)response.StatusCode} {response.ReasonPhrase}{retried}: {Excerpt(body)}");
            }
            // The document is parsed in place over the pooled body, which the page then owns.
            var pageBody = response.Content is PooledContent pooled ? pooled.Detach() : null;
            JsonDocument document;
            try
            {
                document = pageBody is not null
                    ? JsonDocument.Parse(pageBody.Memory)
                    : await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException exception)
            {
                pageBody?.Dispose();
                throw new SourceRunException($"GET {Describe(uri)} answered a body that is not JSON: {exception.Message}", exception);
            }
            try
            {
                var records = JsonPath.Navigate(document.RootElement, definition.RecordsPath);
                if (records is { ValueKind: JsonValueKind.Object } single && _pagination.Type == PaginationType.None)
                {
                    // One resource (GET /users/{id}) is one record; paged APIs answer arrays.
                    records = WrapInArray(single, out var wrapper);
                    document.Dispose();
                    document = wrapper;
                }
                if (records is not { ValueKind: JsonValueKind.Array } array)
                {
                    throw new SourceRunException($"GET {Describe(uri)}: the records path '{definition.RecordsPath}' does not lead to an array in the page.");
                }
                var next = Next(cursor, array, document.RootElement, response, uri);
                return new SourcePage(document, pageBody, array, next);
            }
            catch
            {
                document.Dispose();
                pageBody?.Dispose();
                throw;
            }
        }
    }

    private static JsonElement WrapInArray(JsonElement record, out JsonDocument wrapper)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            record.WriteTo(writer);
            writer.WriteEndArray();
        }
        wrapper = JsonDocument.Parse(buffer.WrittenMemory);
        return wrapper.RootElement;
    }

    private string Fill(string template, bool escape) => bindings is null ? template
        : SourceDefinitionParser.Placeholder().Replace(template, match => bindings.TryGetValue(match.Groups[1].Value, out var value)
            ? (escape ? Uri.EscapeDataString(value) : value)
            : match.Value);

    private Uri RequestUri(PageCursor cursor)
    {
        if (cursor.NextUrl is { } next)
        {
            return new Uri(next);
        }
        var query = definition.Query.Select(p => new KeyValuePair<string, string>(p.Key, Fill(p.Value, escape: false))).ToList();
        if (_pagination.SizeParam is { } size)
        {
            query.Add(new(size, _pagination.PageSize.ToString(CultureInfo.InvariantCulture)));
        }
        switch (_pagination.Type)
        {
            case PaginationType.PageNumber:
                query.Add(new(_pagination.PageParam!, cursor.Page!.Value.ToString(CultureInfo.InvariantCulture)));
                break;
            case PaginationType.Offset:
                query.Add(new(_pagination.OffsetParam!, cursor.Offset!.Value.ToString(CultureInfo.InvariantCulture)));
                break;
            case PaginationType.Cursor when cursor.Cursor is { } value:
                query.Add(new(_pagination.CursorParam!, value));
                break;
        }
        if (definition.Incremental is { } incremental && startWatermark is not null)
        {
            query.Add(new(incremental.Param!, startWatermark));
        }
        var baseUrl = definition.BaseUrl!.TrimEnd('/');
        var path = definition.Path.Length == 0 ? "" : "/" + Fill(definition.Path, escape: true).TrimStart('/');
        var queryText = string.Join("&", query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        return new Uri(baseUrl + path + (queryText.Length == 0 ? "" : "?" + queryText));
    }

    private PageCursor Next(PageCursor cursor, JsonElement records, JsonElement root, HttpResponseMessage response, Uri uri)
    {
        var count = records.GetArrayLength();
        var done = new PageCursor { Done = true };
        if (_pagination.HasMorePath is { } hasMore && JsonPath.Navigate(root, hasMore) is { ValueKind: JsonValueKind.False })
        {
            return done;
        }
        if (_pagination.EndPath is { } end && JsonPath.Navigate(root, end) is { ValueKind: JsonValueKind.True })
        {
            return done;
        }
        switch (_pagination.Type)
        {
            case PaginationType.PageNumber:
                return count == 0 || (_pagination.SizeParam is not null && count < _pagination.PageSize) ? done : cursor with { Page = cursor.Page + 1 };
            case PaginationType.Offset:
                return count == 0 || count < _pagination.PageSize ? done : cursor with { Offset = cursor.Offset + count };
            case PaginationType.Cursor:
                string? value = null;
                if (_pagination.CursorPath is { } path)
                {
                    value = JsonPath.Navigate(root, path) is { } element ? JsonPath.Text(element) : null;
                }
                else if (count > 0)
                {
                    value = JsonPath.Navigate(records[count - 1], _pagination.CursorField!) is { } element ? JsonPath.Text(element) : null;
                }
                return string.IsNullOrEmpty(value) || count == 0 && _pagination.CursorField is not null ? done : cursor with { Cursor = value };
            case PaginationType.LinkHeader:
                var link = LinkHeader.Next(response);
                return link is null ? done : cursor with { NextUrl = new Uri(uri, link).AbsoluteUri };
            case PaginationType.NextUrl:
                var url = JsonPath.Navigate(root, _pagination.NextUrlPath!) is { ValueKind: JsonValueKind.String } n ? n.GetString() : null;
                return string.IsNullOrEmpty(url) || count == 0 ? done : cursor with { NextUrl = new Uri(uri, url).AbsoluteUri };
            default:
                return done;
        }
    }

    private static bool IsTransient(int status) => status is 408 or 429 || status >= 500;

    /// <summary>The URL without its query, which may carry a key.</summary>
    private static string Describe(Uri uri) => uri.GetLeftPart(UriPartial.Path);

    private static string Excerpt(string body) => body.Length <= 200 ? body : body[..200] + "...";
}

/// <summary>Dotted paths into JSON (a.b.0.c); an empty path is the element itself.</summary>
internal static class JsonPath
{
    public static JsonElement? Navigate(JsonElement element, string path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return element;
        }
        foreach (var segment in (path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path).Split('.'))
        {
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(segment, out var child))
            {
                element = child;
            }
            else if (element.ValueKind == JsonValueKind.Array && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < element.GetArrayLength())
            {
                element = element[index];
            }
            else
            {
                return null;
            }
        }
        return element;
    }

    /// <summary>A scalar as request text: strings as they are, numbers as written; null for others.</summary>
    public static string? Text(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.GetRawText(),
        _ => null,
    };
}

/// <summary>RFC 8288 Link headers: the target of rel="next".</summary>
internal static class LinkHeader
{
    public static string? Next(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }
        foreach (var value in values)
        {
            var position = 0;
            while (position < value.Length)
            {
                var open = value.IndexOf('<', position);
                if (open < 0)
                {
                    break;
                }
                var close = value.IndexOf('>', open + 1);
                if (close < 0)
                {
                    break;
                }
                var target = value[(open + 1)..close];
                var nextLink = value.IndexOf('<', close + 1);
                var parameters = (nextLink < 0 ? value[(close + 1)..] : value[(close + 1)..nextLink]).Trim().TrimEnd(',');
                foreach (var parameter in parameters.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var equals = parameter.IndexOf('=');
                    if (equals > 0 && parameter[..equals].Trim().Equals("rel", StringComparison.OrdinalIgnoreCase)
                        && parameter[(equals + 1)..].Trim().Trim('"').Split(' ').Contains("next", StringComparer.OrdinalIgnoreCase))
                    {
                        return target;
                    }
                }
                position = nextLink < 0 ? value.Length : nextLink;
            }
        }
        return null;
    }
}
