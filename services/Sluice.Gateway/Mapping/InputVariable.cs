using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Sluice.Vtl;

namespace Sluice.Gateway.Mapping;

/// <summary>
/// API Gateway's <c>$input</c>: the body (request body in request templates, integration
/// response body in response templates), JSONPath access to it, and the method request's
/// parameters. The body is parsed once, on first use.
/// </summary>
internal sealed class InputVariable(string body, RequestParameters parameters) : IVtlObject
{
    private JsonDocument? _document;
    private bool _parsed;

    public string Body => body;

    public bool TryGetProperty(string name, out object? value)
    {
        switch (name)
        {
            case "body":
                value = body;
                return true;
            default:
                value = null;
                return false;
        }
    }

    public bool TryInvoke(string method, IReadOnlyList<object?> arguments, out object? result)
    {
        result = null;
        switch (method, arguments.Count)
        {
            case ("json", 1):
                result = Json(Text(arguments[0]));
                return true;
            case ("path", 1):
                result = Path(Text(arguments[0]));
                return true;
            case ("params", 0):
                result = parameters.All();
                return true;
            case ("params", 1):
                result = parameters.Find(Text(arguments[0]));
                return true;
            case ("getBody", 0):
                result = body;
                return true;
            default:
                return false;
        }
    }

    /// <summary>The selected part of the body as JSON text (a list when the path has a wildcard).</summary>
    public string Json(string path)
    {
        if (Root() is not { } root)
        {
            return "null";
        }
        var selected = JsonPath.Select(root, path, out var isList);
        if (isList)
        {
            return VtlValues.ToJson(selected.Select(e => (object?)e).ToList());
        }
        return selected.Count == 0 ? "null" : selected[0].GetRawText();
    }

    /// <summary>The selected part of the body as a template value.</summary>
    public object? Path(string path)
    {
        if (Root() is not { } root)
        {
            return null;
        }
        var selected = JsonPath.Select(root, path, out var isList);
        if (isList)
        {
            return selected.Select(VtlValues.FromJson).ToList();
        }
        return selected.Count == 0 ? null : VtlValues.FromJson(selected[0]);
    }

    private JsonElement? Root()
    {
        if (!_parsed)
        {
            _parsed = true;
            try
            {
                _document = JsonDocument.Parse(body.Length == 0 ? "{}" : body, new JsonDocumentOptions { MaxDepth = 128 });
            }
            catch (JsonException)
            {
                _document = null;
            }
        }
        return _document?.RootElement;
    }

    private static string Text(object? value) => value as string ?? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
}

/// <summary>
/// The method request's parameters: path, query string and headers. Taken from a request, each
/// location is kept as it was read (path values beside the route's names, query names and values
/// in pairs, the request's own headers) and copied into a map only when something needs it whole
/// ($input.params(), a test invocation's log); a lookup by name reads what was kept. Once a map is
/// made, lookups read the map, so what a template puts in it is seen.
/// </summary>
internal sealed class RequestParameters
{
    private readonly string[] _pathNames = [];
    private readonly string[] _pathValues = [];
    private readonly string[] _queryPairs = [];
    private readonly IHeaderDictionary? _headerSource;
    private readonly HttpRequest? _querySource;
    private Dictionary<string, object?>? _path;
    private Dictionary<string, object?>? _querystring;
    private Dictionary<string, object?>? _header;
    private Dictionary<string, List<string>>? _multiValueQuerystring;

    public RequestParameters(Dictionary<string, object?> path, Dictionary<string, object?> querystring, Dictionary<string, object?> header,
        Dictionary<string, List<string>> multiValueQuerystring)
    {
        _path = path;
        _querystring = querystring;
        _header = header;
        _multiValueQuerystring = multiValueQuerystring;
    }

    /// <summary>
    /// A request's parameters: path values by the route's names (a later name wins, as in a map),
    /// the single-valued query string as name, value pairs (the last of a name wins), and the
    /// request, whose headers and multi-valued query string are read when needed.
    /// </summary>
    public RequestParameters(string[] pathNames, string[] pathValues, string[] queryPairs, HttpRequest request)
    {
        System.Diagnostics.Debug.Assert(pathNames.Length == pathValues.Length && queryPairs.Length % 2 == 0, "names and values pair up");
        _pathNames = pathNames;
        _pathValues = pathValues;
        _queryPairs = queryPairs;
        _headerSource = request.Headers;
        _querySource = request;
    }

    public Dictionary<string, object?> Path => _path ??= PathMap();

    public Dictionary<string, object?> Querystring => _querystring ??= QueryMap();

    public Dictionary<string, object?> Header => _header ??= CopyHeaders(_headerSource!);

    public Dictionary<string, List<string>> MultiValueQuerystring => _multiValueQuerystring ??= CopyMultiValues(_querySource!.Query);

    /// <summary>What $input.params() returns: a map of the three maps.</summary>
    public Dictionary<string, object?> All() => new(StringComparer.Ordinal)
    {
        ["path"] = Path,
        ["querystring"] = Querystring,
        ["header"] = Header,
    };

    /// <summary>$input.params(name): the path first, then the query string, then the headers; "" when absent.</summary>
    public string Find(string name) =>
        TryGetPath(name, out var value) || TryGetQuery(name, out value)
            ? value as string ?? ""
            : HeaderValue(name) ?? "";

    /// <summary>A parameter by location as API Gateway names them: path, querystring, header.</summary>
    public string? Get(string location, string name) => location switch
    {
        "path" => TryGetPath(name, out var value) ? value as string : null,
        "querystring" => TryGetQuery(name, out var value) ? value as string : null,
        "header" => HeaderValue(name),
        _ => null,
    };

    private bool TryGetPath(string name, out object? value)
    {
        if (_path is not null)
        {
            return _path.TryGetValue(name, out value);
        }
        for (var i = _pathNames.Length - 1; i >= 0; i--)
        {
            if (_pathNames[i] == name)
            {
                value = _pathValues[i];
                return true;
            }
        }
        value = null;
        return false;
    }

    private bool TryGetQuery(string name, out object? value)
    {
        if (_querystring is not null)
        {
            return _querystring.TryGetValue(name, out value);
        }
        for (var i = _queryPairs.Length - 2; i >= 0; i -= 2)
        {
            if (_queryPairs[i] == name)
            {
                value = _queryPairs[i + 1];
                return true;
            }
        }
        value = null;
        return false;
    }

    private Dictionary<string, object?> PathMap()
    {
        var map = new Dictionary<string, object?>(_pathNames.Length, StringComparer.Ordinal);
        for (var i = 0; i < _pathNames.Length; i++)
        {
            map[_pathNames[i]] = _pathValues[i];
        }
        return map;
    }

    private Dictionary<string, object?> QueryMap()
    {
        var map = new Dictionary<string, object?>(_queryPairs.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i < _queryPairs.Length; i += 2)
        {
            map[_queryPairs[i]] = _queryPairs[i + 1];
        }
        return map;
    }

    /// <summary>A header's last value, as API Gateway's single-value view keeps it; null when absent.</summary>
    private string? HeaderValue(string name)
    {
        if (_header is not null)
        {
            return _header.GetValueOrDefault(name) as string;
        }
        return !name.StartsWith(':') && _headerSource!.TryGetValue(name, out var values) ? LastOf(values) : null;
    }

    private static string LastOf(StringValues values) => values.Count > 0 ? values[values.Count - 1] ?? "" : "";

    private static Dictionary<string, object?> CopyHeaders(IHeaderDictionary source)
    {
        var headers = new Dictionary<string, object?>(source.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in source)
        {
            if (!name.StartsWith(':'))
            {
                headers[name] = LastOf(values);
            }
        }
        return headers;
    }

    private static Dictionary<string, List<string>> CopyMultiValues(IQueryCollection source)
    {
        var multi = new Dictionary<string, List<string>>(source.Count, StringComparer.Ordinal);
        foreach (var (name, values) in source)
        {
            var all = new List<string>(values.Count);
            foreach (var value in values)
            {
                all.Add(value ?? "");
            }
            multi[name] = all;
        }
        return multi;
    }
}
