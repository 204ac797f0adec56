using Sluice.Gateway.Definitions;

namespace Sluice.Gateway.State;

/// <summary>
/// Matches a request path and method to a method of a deployed API as API Gateway does: literal
/// segments win over {param} segments, which win over a greedy {proxy+}; a method wins over ANY.
/// </summary>
/// <remarks>
/// The path is matched as a span, its segments as ranges on the stack: a request costs no string
/// until its winner's parameters are read.
/// </remarks>
internal sealed class RouteTable
{
    // Paths with more segments than this are split into a heap array (rare; still matched the same way).
    private const int StackSegments = 32;

    private readonly Route[] _routes;

    public RouteTable(IEnumerable<MethodDefinition> methods)
    {
        _routes = [.. methods.Select(m => new Route(m, m.ResourcePath.Split('/', StringSplitOptions.RemoveEmptyEntries)))];
    }

    /// <summary>
    /// The best method for the path, with its path parameters: their names (the route's own, in
    /// template order) and this path's values for them; null when no method matches.
    /// </summary>
    public (MethodDefinition Method, string[] PathNames, string[] PathValues)? Match(ReadOnlySpan<char> path, string httpMethod)
    {
        // At most one segment more than there are slashes; one spare range so an overflow cannot go unseen.
        var most = path.Count('/') + 2;
        Span<Range> segments = most <= StackSegments ? stackalloc Range[StackSegments] : new Range[most];
        segments = segments[..path.Split(segments, '/', StringSplitOptions.RemoveEmptyEntries)];
        Route? best = null;
        long bestScore = 0;
        foreach (var route in _routes)
        {
            if (route.Method.HttpMethod != httpMethod && route.Method.HttpMethod != "ANY")
            {
                continue;
            }
            if (Score(route, path, segments) is { } score)
            {
                score = (score * 2) + (route.Method.HttpMethod == "ANY" ? 0 : 1);
                if (best is null || score > bestScore)
                {
                    (best, bestScore) = (route, score);
                }
            }
        }
        // Parameters are read for the winner only: the routes tried on the way cost no allocation.
        return best is null ? null : (best.Method, best.ParameterNames, Parameters(best, path, segments));
    }

    /// <summary>How specific the route's match of the segments is (literal over {param} over {proxy+}); null when it does not match.</summary>
    private static long? Score(Route route, ReadOnlySpan<char> path, ReadOnlySpan<Range> segments)
    {
        long score = 0;
        var template = route.Segments;
        for (var i = 0; i < template.Length; i++)
        {
            var part = template[i];
            if (IsGreedy(part))
            {
                return i < segments.Length && i == template.Length - 1 ? score * 3 : null;
            }
            if (i >= segments.Length)
            {
                return null;
            }
            if (IsParameter(part))
            {
                score = (score * 3) + 1;
            }
            else if (part.AsSpan().SequenceEqual(path[segments[i]]))
            {
                score = (score * 3) + 2;
            }
            else
            {
                return null;
            }
        }
        return template.Length == segments.Length ? score : null;
    }

    /// <summary>The path parameters' values, in the order of <see cref="Route.ParameterNames"/>, as $input.params() and method.request.path.* read them.</summary>
    private static string[] Parameters(Route route, ReadOnlySpan<char> path, ReadOnlySpan<Range> segments)
    {
        if (route.ParameterNames.Length == 0)
        {
            return [];
        }
        var values = new string[route.ParameterNames.Length];
        var template = route.Segments;
        var next = 0;
        for (var i = 0; i < template.Length; i++)
        {
            if (route.Names[i] is null)
            {
                continue;
            }
            // A greedy {proxy+} is the template's last segment (Score matches it only there).
            values[next++] = IsGreedy(template[i]) ? JoinRest(path, segments[i..]) : Uri.UnescapeDataString(path[segments[i]]);
        }
        return values;
    }

    /// <summary>The segments from the first on, joined by single slashes (empty segments dropped), as a greedy {proxy+} reads them.</summary>
    private static string JoinRest(ReadOnlySpan<char> path, ReadOnlySpan<Range> rest)
    {
        var start = rest[0].Start.GetOffset(path.Length);
        var end = rest[^1].End.GetOffset(path.Length);
        var length = -1;
        foreach (var segment in rest)
        {
            length += segment.GetOffsetAndLength(path.Length).Length + 1;
        }
        if (length == end - start)
        {
            // No doubled slashes in between: the rest of the path as it stands.
            return path[start..end].ToString();
        }
        var parts = new string[rest.Length];
        for (var i = 0; i < rest.Length; i++)
        {
            parts[i] = path[rest[i]].ToString();
        }
        return string.Join('/', parts);
    }

    private static bool IsGreedy(string part) => part.StartsWith('{') && part.EndsWith("+}", StringComparison.Ordinal);

    private static bool IsParameter(string part) => part.StartsWith('{') && part.EndsWith('}');

    /// <summary>A route's segments with their parameter names read once, not on every request.</summary>
    private sealed class Route(MethodDefinition method, string[] segments)
    {
        public MethodDefinition Method { get; } = method;

        public string[] Segments { get; } = segments;

        /// <summary>The parameter name of each segment ("id" for {id}, "proxy" for {proxy+}); null for a literal.</summary>
        public string?[] Names { get; } = [.. segments.Select(s => IsGreedy(s) ? s[1..^2] : IsParameter(s) ? s[1..^1] : null)];

        /// <summary>The names of the parameter segments, in order.</summary>
        public string[] ParameterNames { get; } = [.. segments.Where(IsParameter).Select(s => IsGreedy(s) ? s[1..^2] : s[1..^1])];
    }
}
