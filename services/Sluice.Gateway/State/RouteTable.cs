using Sluice.Gateway.Definitions;

namespace Sluice.Gateway.State;

/// <summary>
/// Matches a request path and method to a method of a deployed API as API Gateway does: literal
/// segments win over {param} segments, which win over a greedy {proxy+}; a method wins over ANY.
/// </summary>
internal sealed class RouteTable
{
    private readonly List<Route> _routes;

    public RouteTable(IEnumerable<MethodDefinition> methods)
    {
        _routes = [.. methods.Select(m => new Route(m, Split(m.ResourcePath)))];
    }

    /// <summary>The best method for the path, with its path parameters; null when none matches.</summary>
    public (MethodDefinition Method, Dictionary<string, string> PathParameters)? Match(string path, string httpMethod)
    {
        var segments = Split(path);
        (Route Route, Dictionary<string, string> Parameters, long Score)? best = null;
        foreach (var route in _routes)
        {
            if (route.Method.HttpMethod != httpMethod && route.Method.HttpMethod != "ANY")
            {
                continue;
            }
            if (TryMatch(route, segments, out var parameters, out var score))
            {
                score = (score * 2) + (route.Method.HttpMethod == "ANY" ? 0 : 1);
                if (best is null || score > best.Value.Score)
                {
                    best = (route, parameters, score);
                }
            }
        }
        return best is { } found ? (found.Route.Method, found.Parameters) : null;
    }

    private static bool TryMatch(Route route, string[] segments, out Dictionary<string, string> parameters, out long score)
    {
        parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        score = 0;
        var template = route.Segments;
        for (var i = 0; i < template.Length; i++)
        {
            var part = template[i];
            if (part.StartsWith('{') && part.EndsWith("+}", StringComparison.Ordinal))
            {
                if (i >= segments.Length || i != template.Length - 1)
                {
                    return false;
                }
                parameters[part[1..^2]] = string.Join('/', segments[i..]);
                score = (score * 3) + 0;
                return true;
            }
            if (i >= segments.Length)
            {
                return false;
            }
            if (part.StartsWith('{') && part.EndsWith('}'))
            {
                parameters[part[1..^1]] = Uri.UnescapeDataString(segments[i]);
                score = (score * 3) + 1;
            }
            else if (string.Equals(part, segments[i], StringComparison.Ordinal))
            {
                score = (score * 3) + 2;
            }
            else
            {
                return false;
            }
        }
        return template.Length == segments.Length;
    }

    private static string[] Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    private sealed record Route(MethodDefinition Method, string[] Segments);
}
