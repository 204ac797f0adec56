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
/// The method request's parameters: path, query string and headers. Taken from a request, the
/// headers and the multi-valued query string are copied into maps only when something needs them
/// whole ($input.params(), a header template variable); a lookup by name reads the request's own.
/// </summary>
internal sealed class RequestParameters
{
    private readonly IHeaderDictionary? _headerSource;
    private readonly HttpRequest? _querySource;
    private Dictionary<string, object?>? _header;
    private Dictionary<string, List<string>>? _multiValueQuerystring;

    public RequestParameters(Dictionary<string, object?> path, Dictionary<string, object?> querystring, Dictionary<string, object?> header,
        Dictionary<string, List<string>> multiValueQuerystring)
    {
        Path = path;
        Querystring = querystring;
        _header = header;
        _multiValueQuerystring = multiValueQuerystring;
    }

    /// <summary>A request's parameters: its headers and multi-valued query string are read from it when needed.</summary>
    public RequestParameters(Dictionary<string, object?> path, Dictionary<string, object?> querystring, HttpRequest request)
    {
        Path = path;
        Querystring = querystring;
        _headerSource = request.Headers;
        _querySource = request;
    }

    public Dictionary<string, object?> Path { get; }

    public Dictionary<string, object?> Querystring { get; }

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
        Path.TryGetValue(name, out var value) || Querystring.TryGetValue(name, out value)
            ? value as string ?? ""
            : HeaderValue(name) ?? "";

    /// <summary>A parameter by location as API Gateway names them: path, querystring, header.</summary>
    public string? Get(string location, string name) => location switch
    {
        "path" => Path.GetValueOrDefault(name) as string,
        "querystring" => Querystring.GetValueOrDefault(name) as string,
        "header" => HeaderValue(name),
        _ => null,
    };

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
