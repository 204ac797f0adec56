using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Sluice.Gateway.Management;

/// <summary>
/// One management call as an operation sees it: the URI parameters its route captured, the
/// query string and the body (JSON members read with their model types, or the raw document).
/// Members an operation does not support are refused, not silently dropped.
/// </summary>
internal sealed class ManagementRequest(IReadOnlyDictionary<string, string> route, IQueryCollection query, byte[] body)
{
    private JsonObject? _json;

    public string Route(string name) => route[name];

    public string? Query(string name) => query.TryGetValue(name, out var value) && value.Count > 0 ? value[0] : null;

    /// <summary>The body as text (an imported document).</summary>
    public string Text => Encoding.UTF8.GetString(body);

    public bool? QueryBool(string name) => Query(name) switch
    {
        null => null,
        var v when bool.TryParse(v, out var b) => b,
        var v => throw ManagementError.BadRequest($"Invalid value for query parameter '{name}': '{v}' is not true or false."),
    };

    /// <summary>The JSON body, an object ({} when empty).</summary>
    public JsonObject Json
    {
        get
        {
            if (_json is not null)
            {
                return _json;
            }
            if (body.Length == 0)
            {
                return _json = [];
            }
            try
            {
                return _json = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 32 }) as JsonObject
                    ?? throw ManagementError.BadRequest("Could not parse request body into json: the body is not a JSON object.");
            }
            catch (JsonException exception)
            {
                throw ManagementError.BadRequest($"Could not parse request body into json: {exception.Message}");
            }
        }
    }

    /// <summary>Refuses any member of the body outside <paramref name="supported"/> that is set.</summary>
    public void Supports(params string[] supported)
    {
        foreach (var (name, value) in Json)
        {
            if (value is not null && !supported.Contains(name, StringComparer.Ordinal))
            {
                throw ManagementError.BadRequest($"'{name}' is not supported by this gateway; supported members: {string.Join(", ", supported)}.");
            }
        }
    }

    public string? String(string name) => Json[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw Invalid(name, "a string"),
    };

    public string RequiredString(string name) => String(name) is { Length: > 0 } value
        ? value
        : throw ManagementError.BadRequest($"{name} is required.");

    public bool? Bool(string name) => Json[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        _ => throw Invalid(name, "true or false"),
    };

    public IReadOnlyDictionary<string, string> StringMap(string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (Json[name])
        {
            case null:
                return map;
            case JsonObject members:
                foreach (var (key, value) in members)
                {
                    map[key] = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Invalid($"{name}.{key}", "a string");
                }
                return map;
            default:
                throw Invalid(name, "an object of strings");
        }
    }

    public static ManagementError Invalid(string name, string expected) => ManagementError.BadRequest($"Invalid value for '{name}': expected {expected}.");

    /// <summary>An integer of the body or query, in range.</summary>
    public static int ParseInt(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw ManagementError.BadRequest($"Invalid value for '{name}': '{text}' is not a whole number from {min} to {max}.");

    public static double ParseDouble(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw ManagementError.BadRequest($"Invalid value for '{name}': '{text}' is not a number.");
}
