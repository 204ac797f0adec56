using System.Globalization;
using System.Text.Json;

namespace Sluice.Gateway.Mapping;

/// <summary>
/// The JSONPath subset API Gateway's $input.json and $input.path take: <c>$</c>, <c>.name</c>,
/// <c>['name']</c>, <c>[index]</c> (negative from the end), <c>[*]</c> and <c>.*</c>. A wildcard
/// makes the result a list.
/// </summary>
internal static class JsonPath
{
    /// <summary>What <paramref name="path"/> selects in <paramref name="root"/>; empty when nothing.</summary>
    public static List<JsonElement> Select(JsonElement root, string path, out bool isList)
    {
        isList = false;
        var current = new List<JsonElement> { root };
        var text = path.Trim();
        var i = 0;
        if (text.StartsWith('$'))
        {
            i = 1;
        }
        while (i < text.Length && current.Count > 0)
        {
            if (text[i] == '.')
            {
                i++;
                var start = i;
                while (i < text.Length && text[i] != '.' && text[i] != '[')
                {
                    i++;
                }
                var name = text[start..i];
                if (name == "*")
                {
                    isList = true;
                    current = [.. current.SelectMany(Children)];
                }
                else if (name.Length > 0)
                {
                    current = [.. current.Select(e => Property(e, name)).OfType<JsonElement>()];
                }
            }
            else if (text[i] == '[')
            {
                var close = text.IndexOf(']', i);
                if (close < 0)
                {
                    throw new FormatException($"Unclosed '[' in JSONPath '{path}'.");
                }
                var inner = text[(i + 1)..close].Trim();
                i = close + 1;
                if (inner == "*")
                {
                    isList = true;
                    current = [.. current.SelectMany(Children)];
                }
                else if (inner.Length >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[^1] == inner[0])
                {
                    var name = inner[1..^1];
                    current = [.. current.Select(e => Property(e, name)).OfType<JsonElement>()];
                }
                else if (int.TryParse(inner, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index))
                {
                    current = [.. current.Select(e => Index(e, index)).OfType<JsonElement>()];
                }
                else
                {
                    throw new FormatException($"Unsupported JSONPath segment '[{inner}]' in '{path}'.");
                }
            }
            else
            {
                // A bare name after $ without a dot ("$input.path('name')" style).
                var start = i;
                while (i < text.Length && text[i] != '.' && text[i] != '[')
                {
                    i++;
                }
                var name = text[start..i];
                current = [.. current.Select(e => Property(e, name)).OfType<JsonElement>()];
            }
        }
        return current;
    }

    private static IEnumerable<JsonElement> Children(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Select(p => p.Value),
        JsonValueKind.Array => element.EnumerateArray(),
        _ => [],
    };

    private static JsonElement? Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : null;

    private static JsonElement? Index(JsonElement element, int index)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        var length = element.GetArrayLength();
        if (index < 0)
        {
            index += length;
        }
        return index >= 0 && index < length ? element[index] : null;
    }
}
