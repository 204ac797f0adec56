using Microsoft.AspNetCore.Http;
using Sluice.Gateway.Pipeline;

namespace Sluice.Gateway.Integrations;

/// <summary>The integration request: the method request after parameter mapping and the request template.</summary>
internal sealed class IntegrationCall(RequestContext context, HttpContext http, byte[] rawBody, string body, string contentType, bool bufferResponse)
{
    public RequestContext Context { get; } = context;

    public HttpContext Http { get; } = http;

    /// <summary>The method request's body as received (http_proxy forwards it untouched).</summary>
    public byte[] RawBody { get; } = rawBody;

    /// <summary>The body after the request template (or passed through).</summary>
    public string Body { get; } = body;

    public string ContentType { get; } = contentType;

    private Dictionary<string, string>? _path, _query, _headers;

    /// <summary>
    /// Integration request parameters by location (path, querystring, header) from requestParameters
    /// and requestOverride; each map made on first use (a mock needs none).
    /// </summary>
    public Dictionary<string, string> Path => _path ??= new(StringComparer.Ordinal);

    public Dictionary<string, string> Query => _query ??= new(StringComparer.Ordinal);

    public Dictionary<string, string> Headers => _headers ??= new(StringComparer.OrdinalIgnoreCase);

    /// <summary>True when a response template needs the whole integration response body.</summary>
    public bool BufferResponse { get; } = bufferResponse;
}

/// <summary>
/// What an integration answered. Either a body (to select a response and run templates on), or a
/// <see cref="Stream"/> that writes the method response itself (proxies and streamed rows).
/// </summary>
internal sealed class IntegrationResult
{
    public int StatusCode { get; init; } = 200;

    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();

    /// <summary>The integration response's headers (none for a mock). A result is not changed once made: the stage cache and mocks share them.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = NoHeaders;

    public string Body { get; init; } = "";

    /// <summary>For integrations without an HTTP status (sql, grpc): the error, matched by selection patterns; null on success.</summary>
    public string? ErrorMessage { get; init; }

    public string ContentType { get; init; } = "application/json";

    /// <summary>Writes the whole method response (status, headers, body) when set.</summary>
    public Func<HttpResponse, CancellationToken, Task>? Stream { get; init; }
}

internal interface IIntegration
{
    /// <summary>Calls the backend; <paramref name="cancellationToken"/> fires at the integration timeout or when the caller leaves.</summary>
    Task<IntegrationResult> InvokeAsync(IntegrationCall call, CancellationToken cancellationToken);
}
