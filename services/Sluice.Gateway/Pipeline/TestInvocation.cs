using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Gateway.Storage;
using Sluice.Gateway.V1;

namespace Sluice.Gateway.Pipeline;

/// <summary>
/// API Gateway's test-invoke-method: one request through the real pipeline, in process, without
/// the key, throttle and quota steps, recording an execution log as API Gateway's console shows it.
/// </summary>
internal sealed class TestInvocation
{
    private readonly StringBuilder _log = new();
    private readonly TimeProvider _time;

    private TestInvocation(TimeProvider time, IReadOnlyDictionary<string, string> stageVariables)
    {
        _time = time;
        StageVariables = stageVariables;
    }

    public IReadOnlyDictionary<string, string> StageVariables { get; }

    public void Log(string line) =>
        _log.Append(_time.GetUtcNow().ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture)).Append(" : ").Append(line).Append('\n');

    public static async Task<TestInvokeMethodResponse> RunAsync(IServiceProvider services, TestInvokeMethodRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.ApiId) || string.IsNullOrEmpty(request.Stage))
        {
            throw new GatewayArgumentException(string.IsNullOrEmpty(request.ApiId) ? "api_id" : "stage", "api_id and stage are required.");
        }
        var method = string.IsNullOrEmpty(request.HttpMethod) ? "GET" : request.HttpMethod.ToUpperInvariant();
        var pathAndQuery = string.IsNullOrEmpty(request.PathWithQueryString) ? "/" : request.PathWithQueryString;
        if (!pathAndQuery.StartsWith('/'))
        {
            throw new GatewayArgumentException("path_with_query_string", "The path must start with '/'.");
        }
        var question = pathAndQuery.IndexOf('?');
        var time = services.GetRequiredService<TimeProvider>();
        var invocation = new TestInvocation(time, request.StageVariables);
        var http = new DefaultHttpContext { RequestServices = services, RequestAborted = cancellationToken };
        http.Request.Method = method;
        http.Request.Scheme = "http";
        http.Request.Protocol = "HTTP/1.1";
        http.Request.Path = "/" + request.ApiId + "/" + request.Stage + (question < 0 ? pathAndQuery : pathAndQuery[..question]);
        http.Request.QueryString = question < 0 ? QueryString.Empty : new QueryString(pathAndQuery[question..]);
        foreach (var (name, value) in request.Headers)
        {
            http.Request.Headers[name] = value;
        }
        var body = Encoding.UTF8.GetBytes(request.Body);
        http.Request.Body = new MemoryStream(body);
        http.Request.ContentLength = body.Length;
        var output = new MemoryStream();
        http.Response.Body = output;
        http.Features.Set(invocation);

        var started = time.GetTimestamp();
        await services.GetRequiredService<GatewayPipeline>().HandleAsync(http).ConfigureAwait(false);
        var latency = time.GetElapsedTime(started);
        invocation.Log($"Method completed with status: {http.Response.StatusCode}");

        var response = new TestInvokeMethodResponse
        {
            Status = http.Response.StatusCode,
            Body = Encoding.UTF8.GetString(output.ToArray()),
            LatencyMs = (long)latency.TotalMilliseconds,
            Log = invocation._log.ToString(),
        };
        foreach (var (name, values) in http.Response.Headers)
        {
            response.Headers[name] = values.ToString();
        }
        return response;
    }
}
