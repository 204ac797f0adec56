using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sluice.Gateway.AccessLog;

/// <summary>What a request's line is made of, beyond the pipeline's <c>$context</c> map.</summary>
internal readonly record struct AccessLogFacts(IReadOnlyDictionary<string, object?> Context, int Status, long ResponseLength, double LatencyMs);

/// <summary>
/// An access log format: text with <c>$context.*</c> references, parsed once. A reference names a
/// variable of API Gateway's access logging; a missing value is written "-", as API Gateway does.
/// Values never break the line: control characters become spaces, and in a JSON format values are
/// escaped for a JSON string.
/// </summary>
internal sealed partial class AccessLogFormat
{
    /// <summary>The variables a format may use: the pipeline's $context, and what is known once the response is written.</summary>
    public static readonly IReadOnlySet<string> Variables = new HashSet<string>(StringComparer.Ordinal)
    {
        "requestId", "extendedRequestId", "apiId", "stage", "deploymentId", "httpMethod", "path", "protocol", "resourcePath", "resourceId",
        "requestTime", "requestTimeEpoch", "identity.sourceIp", "identity.userAgent", "identity.apiKey", "identity.apiKeyId", "identity.caller",
        "identity.user", "error.message", "error.messageString", "error.responseType", "error.validationErrorString",
        "status", "responseLength", "responseLatency",
    };

    private readonly List<(string Text, string? Variable)> _parts = [];
    private readonly bool _json;

    private AccessLogFormat(string format)
    {
        _json = format.TrimStart().StartsWith('{');
        var at = 0;
        foreach (Match match in Reference().Matches(format))
        {
            _parts.Add((format[at..match.Index], null));
            _parts.Add(("", match.Groups[1].Value));
            at = match.Index + match.Length;
        }
        _parts.Add((format[at..], null));
    }

    /// <summary>Parses <paramref name="format"/>; an unknown variable or a multi-line format throws, naming <paramref name="where"/>.</summary>
    public static AccessLogFormat Parse(string format, string where)
    {
        if (format.Length > 4096 || format.Contains('\n') || format.Contains('\r'))
        {
            throw new InvalidOperationException($"{where}: a format is one line of at most 4096 characters.");
        }
        var unknown = Reference().Matches(format).Select(m => m.Groups[1].Value).Where(v => !Variables.Contains(v)).Distinct().ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException($"{where}: unknown variable(s) {string.Join(", ", unknown.Select(v => "$context." + v))}; known: {string.Join(", ", Variables.Order(StringComparer.Ordinal))}.");
        }
        return new AccessLogFormat(format);
    }

    public string Render(in AccessLogFacts facts)
    {
        var line = new StringBuilder(256);
        foreach (var (text, variable) in _parts)
        {
            if (variable is null)
            {
                line.Append(text);
                continue;
            }
            var value = Value(variable, facts);
            if (value is null || value.Length == 0)
            {
                line.Append('-');
            }
            else if (_json)
            {
                var quoted = JsonSerializer.Serialize(value);
                line.Append(quoted, 1, quoted.Length - 2);
            }
            else
            {
                foreach (var c in value)
                {
                    line.Append(char.IsControl(c) ? ' ' : c);
                }
            }
        }
        return line.ToString();
    }

    private static string? Value(string variable, in AccessLogFacts facts)
    {
        switch (variable)
        {
            case "status":
                return facts.Status.ToString(CultureInfo.InvariantCulture);
            case "responseLength":
                return facts.ResponseLength.ToString(CultureInfo.InvariantCulture);
            case "responseLatency":
                return Math.Round(facts.LatencyMs).ToString(CultureInfo.InvariantCulture);
        }
        object? value = facts.Context;
        foreach (var name in variable.Split('.'))
        {
            value = value is IReadOnlyDictionary<string, object?> map ? map.GetValueOrDefault(name)
                : value is IDictionary<string, object?> dictionary ? dictionary.TryGetValue(name, out var found) ? found : null
                : null;
        }
        return Convert.ToString(value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"\$context\.([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)")]
    private static partial Regex Reference();
}
