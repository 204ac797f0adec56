using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Sluice.Gateway.Definitions;

namespace Sluice.Gateway.Integrations;

/// <summary>
/// The http and http_proxy integrations. http sends the integration request (mapped parameters,
/// templated body) and hands the response to the integration responses; http_proxy forwards
/// the method request as it came and streams the backend's response back unchanged.
/// </summary>
internal sealed partial class HttpIntegration(IHttpClientFactory clients) : IIntegration
{
    public const string ClientName = "Sluice.Gateway.Http";

    /// <summary>Headers that describe one hop, never forwarded (RFC 9110 7.6.1), plus the caller's key.</summary>
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "x-api-key",
    };

    public async Task<IntegrationResult> InvokeAsync(IntegrationCall call, CancellationToken cancellationToken)
    {
        var integration = call.Context.Method!.Integration;
        var proxy = integration.Type == IntegrationType.HttpProxy;
        var uri = BuildUri(integration.Uri!, call, proxy);
        var method = integration.HttpMethod == "ANY" ? call.Http.Request.Method : integration.HttpMethod;
        using var request = new HttpRequestMessage(new HttpMethod(method), uri);
        if (proxy)
        {
            foreach (var (name, values) in call.Http.Request.Headers)
            {
                if (!HopHeaders.Contains(name) && !name.StartsWith(':'))
                {
                    request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
                }
            }
        }
        foreach (var (name, value) in call.Headers)
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }
        if (method is not ("GET" or "HEAD") || call.RawBody.Length > 0)
        {
            var content = proxy ? new ByteArrayContent(call.RawBody) : new ByteArrayContent(Encoding.UTF8.GetBytes(call.Body));
            var contentType = proxy ? call.Http.Request.ContentType : call.ContentType;
            if (!string.IsNullOrEmpty(contentType) && MediaTypeHeaderValue.TryParse(contentType, out var parsed))
            {
                content.Headers.ContentType = parsed;
            }
            request.Content = content;
        }
        var client = clients.CreateClient(ClientName);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (proxy)
        {
            return new IntegrationResult
            {
                StatusCode = (int)response.StatusCode,
                Stream = async (output, token) =>
                {
                    using (response)
                    {
                        output.StatusCode = (int)response.StatusCode;
                        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
                        {
                            if (!HopHeaders.Contains(name))
                            {
                                output.Headers[name] = values.ToArray();
                            }
                        }
                        await response.Content.CopyToAsync(output.Body, token).ConfigureAwait(false);
                    }
                },
            };
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                headers[name] = string.Join(",", values);
            }
            return new IntegrationResult
            {
                StatusCode = (int)response.StatusCode,
                Headers = headers,
                Body = body,
                ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/json",
            };
        }
    }

    private static Uri BuildUri(string template, IntegrationCall call, bool proxy)
    {
        // ${stageVariables.name} in the uri, as API Gateway substitutes them (e.g. a backend host per stage).
        template = StageVariableReference().Replace(template, m => call.Context.StageVariable(m.Groups[1].Value) ?? "");
        var builder = new StringBuilder(template.Length + 32);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0)
            {
                builder.Append(template, i, template.Length - i);
                break;
            }
            var close = template.IndexOf('}', open);
            if (close < 0)
            {
                builder.Append(template, i, template.Length - i);
                break;
            }
            builder.Append(template, i, open - i);
            var name = template[(open + 1)..close];
            var greedy = name.EndsWith('+');
            name = name.TrimEnd('+');
            var value = call.Path.GetValueOrDefault(name) ?? (proxy ? call.Context.Parameters?.Path.GetValueOrDefault(name) as string : null) ?? "";
            builder.Append(greedy || proxy ? string.Join('/', value.Split('/').Select(Uri.EscapeDataString)) : Uri.EscapeDataString(value));
            i = close + 1;
        }
        var query = new List<string>();
        if (proxy)
        {
            foreach (var (name, values) in call.Http.Request.Query)
            {
                query.AddRange(values.Select(v => Uri.EscapeDataString(name) + "=" + Uri.EscapeDataString(v ?? "")));
            }
        }
        query.AddRange(call.Query.Select(q => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(q.Value)));
        if (query.Count > 0)
        {
            builder.Append(template.Contains('?') ? '&' : '?').Append(string.Join('&', query));
        }
        return new Uri(builder.ToString());
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\$\{stageVariables\.([A-Za-z0-9_]+)\}")]
    internal static partial System.Text.RegularExpressions.Regex StageVariableReference();
}
