namespace Sluice.Gateway.Pipeline;

/// <summary>
/// Resolves the right-hand side of requestParameters / responseParameters: a 'quoted literal',
/// method.request.{path|querystring|multivaluequerystring|header}.name, stageVariables.name,
/// context.a.b, or (in responses) integration.response.header.name / integration.response.body.
/// </summary>
internal static class ParameterSources
{
    public static string? Resolve(string source, RequestContext context, Integrations.IntegrationResult? integration = null)
    {
        if (source.Length >= 2 && source[0] == '\'' && source[^1] == '\'')
        {
            return source[1..^1];
        }
        const string method = "method.request.";
        if (source.StartsWith(method, StringComparison.Ordinal))
        {
            var rest = source[method.Length..];
            var dot = rest.IndexOf('.');
            if (dot < 0 || context.Parameters is not { } parameters)
            {
                return null;
            }
            var location = rest[..dot];
            var name = rest[(dot + 1)..];
            return location == "multivaluequerystring"
                ? parameters.MultiValueQuerystring.TryGetValue(name, out var values) ? string.Join(",", values) : null
                : parameters.Get(location, name);
        }
        if (source.StartsWith("stageVariables.", StringComparison.Ordinal))
        {
            return context.StageVariable(source["stageVariables.".Length..]);
        }
        if (source.StartsWith("context.", StringComparison.Ordinal))
        {
            var parts = source["context.".Length..].Split('.');
            // A plain field (context.requestId) is read without building $context's maps.
            object? value;
            if (parts.Length == 1 && context.TryGetWithoutBuilding(parts[0], out var field))
            {
                value = field;
            }
            else
            {
                value = context.Variables;
                foreach (var part in parts)
                {
                    value = value is IDictionary<string, object?> map && map.TryGetValue(part, out var inner) ? inner : null;
                }
            }
            return value is null ? null : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
        }
        if (integration is not null)
        {
            if (source.StartsWith("integration.response.header.", StringComparison.Ordinal))
            {
                return integration.Headers.GetValueOrDefault(source["integration.response.header.".Length..]);
            }
            if (source == "integration.response.body")
            {
                return integration.Body;
            }
        }
        return null;
    }
}
