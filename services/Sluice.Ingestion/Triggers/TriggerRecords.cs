using System.Text.Json;
using Sluice.Ingestion.Landing;
using Sluice.Ingestion.Runner;
using Sluice.ObjectStore;

namespace Sluice.Ingestion.Triggers;

/// <summary>
/// The records of a trigger object, each turned into the values of the source's placeholders. The
/// object is NDJSON (one JSON value a line, blank lines skipped) or, when it starts with '[', one
/// JSON array. A record is an object whose dotted paths fill the placeholders ({id}, {user.id}),
/// or, for a source with one placeholder, a string or number that fills it (a file listing ids).
/// The whole object is checked before the first request, so a malformed one fails its job without
/// calling the source.
/// </summary>
internal static class TriggerRecords
{
    public static async Task<IReadOnlyList<IReadOnlyDictionary<string, string>>> ReadAsync(
        IObjectStore objects, string key, IReadOnlyList<string> placeholders, long maxBytes, CancellationToken cancellationToken)
    {
        byte[] content;
        try
        {
            await using var stream = await objects.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
            content = await ReadBoundedAsync(stream, key, maxBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            throw new SourceRunException($"Trigger object '{key}' is gone: it was deleted before its job read it.");
        }
        var records = new List<IReadOnlyDictionary<string, string>>();
        var start = content.AsSpan().IndexOfAnyExcept(" \t\r\n"u8);
        if (start >= 0 && content[start] == (byte)'[')
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(content);
            }
            catch (JsonException exception)
            {
                throw new SourceRunException($"Trigger object '{key}' line {exception.LineNumber + 1}: not a valid JSON array: {exception.Message}");
            }
            using (document)
            {
                var index = 0;
                foreach (var record in document.RootElement.EnumerateArray())
                {
                    records.Add(Bind(record, placeholders, $"Trigger object '{key}' element {++index}"));
                }
            }
        }
        else
        {
            using var stream = new MemoryStream(content, writable: false);
            foreach (var (number, line) in NdjsonLines.Read(stream))
            {
                if (line.Span.IndexOfAnyExcept(" \t"u8) < 0)
                {
                    continue;
                }
                var where = $"Trigger object '{key}' line {number}";
                try
                {
                    using var record = JsonDocument.Parse(line);
                    records.Add(Bind(record.RootElement, placeholders, where));
                }
                catch (JsonException exception)
                {
                    throw new SourceRunException($"{where}: not a JSON value: {exception.Message}");
                }
            }
        }
        if (records.Count == 0)
        {
            throw new SourceRunException($"Trigger object '{key}' holds no records (NDJSON lines or a JSON array of records).");
        }
        return records;
    }

    private static Dictionary<string, string> Bind(JsonElement record, IReadOnlyList<string> placeholders, string where)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var placeholder in placeholders)
        {
            JsonElement? value = record.ValueKind switch
            {
                JsonValueKind.Object => JsonPath.Navigate(record, placeholder),
                JsonValueKind.String or JsonValueKind.Number when placeholders.Count == 1 => record,
                JsonValueKind.String or JsonValueKind.Number => throw new SourceRunException(
                    $"{where}: a string or number fills the placeholder of a source with one; this source has {string.Join(", ", placeholders.Select(p => "{" + p + "}"))}, so records must be objects."),
                _ => throw new SourceRunException($"{where}: a record must be an object, a string or a number, not {record.ValueKind.ToString().ToLowerInvariant()}."),
            };
            if (value is not { } found || JsonPath.Text(found) is not { Length: > 0 } text)
            {
                throw new SourceRunException($"{where}: the record has no string or number at '{placeholder}' to fill {{{placeholder}}}.");
            }
            values[placeholder] = text;
        }
        return values;
    }

    private static async Task<byte[]> ReadBoundedAsync(Stream stream, string key, long maxBytes, CancellationToken cancellationToken)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (copy.Length + read > maxBytes)
            {
                throw new SourceRunException($"Trigger object '{key}' is larger than {maxBytes} bytes (Sluice:Ingestion:Triggers:MaxObjectBytes).");
            }
            copy.Write(buffer, 0, read);
        }
        return copy.ToArray();
    }
}
