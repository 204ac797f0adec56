using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Aws;
using Sluice.Gateway.Definitions;

namespace Sluice.Gateway.Management;

/// <summary>What an operation answers: the status the model gives it and the JSON shape (null: no body).</summary>
internal readonly record struct ManagementResult(int Status, JsonNode? Body)
{
    public static ManagementResult Ok(JsonNode body) => new(StatusCodes.Status200OK, body);

    public static ManagementResult Created(JsonNode body) => new(StatusCodes.Status201Created, body);

    public static ManagementResult Accepted => new(StatusCodes.Status202Accepted, null);
}

/// <summary>
/// The management listener's one endpoint: reads the body (bounded), verifies SigV4 for the
/// "apigateway" signing name, routes METHOD + path to an operation as the botocore model's
/// requestUri templates name them, and writes its shape or an AWS-style error.
/// </summary>
internal sealed class ManagementEndpoint
{
    /// <summary>An import carries a whole document (API Gateway's limit is 6 MB); every other body is small JSON.</summary>
    public const int MaxBodyBytes = ApiDocumentReader.MaxDocumentBytes + 64 * 1024;

    private const string ContentType = "application/json";

    private static readonly JsonSerializerOptions WriteOptions = new() { WriteIndented = false };

    private readonly List<Route> _routes;
    private readonly SigV4Verifier _verifier;
    private readonly ILogger<ManagementEndpoint> _logger;

    public ManagementEndpoint(RestApiOperations apis, StageOperations stages, KeyAndPlanOperations keys, ManagementCredentials credentials, IOptions<GatewayOptions> options,
        TimeProvider time, ILogger<ManagementEndpoint> logger)
    {
        _verifier = new SigV4Verifier(credentials.SecretsByAccessKey, "apigateway", options.Value.ManagementRegion, time);
        _logger = logger;
        _routes =
        [
            new("GET", "restapis", apis.GetRestApisAsync),
            new("POST", "restapis", apis.ImportRestApiAsync),
            new("GET", "restapis/{restapi_id}", apis.GetRestApiAsync),
            new("PUT", "restapis/{restapi_id}", apis.PutRestApiAsync),
            new("DELETE", "restapis/{restapi_id}", apis.DeleteRestApiAsync),
            new("GET", "restapis/{restapi_id}/resources", apis.GetResourcesAsync),
            new("GET", "restapis/{restapi_id}/resources/{resource_id}", apis.GetResourceAsync),
            new("GET", "restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}", apis.GetMethodAsync),
            new("POST", "restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}", apis.TestInvokeMethodAsync),
            new("POST", "restapis/{restapi_id}/deployments", stages.CreateDeploymentAsync),
            new("GET", "restapis/{restapi_id}/deployments", stages.GetDeploymentsAsync),
            new("GET", "restapis/{restapi_id}/deployments/{deployment_id}", stages.GetDeploymentAsync),
            new("PATCH", "restapis/{restapi_id}/deployments/{deployment_id}", stages.UpdateDeploymentAsync),
            new("DELETE", "restapis/{restapi_id}/deployments/{deployment_id}", stages.DeleteDeploymentAsync),
            new("POST", "restapis/{restapi_id}/stages", stages.CreateStageAsync),
            new("GET", "restapis/{restapi_id}/stages", stages.GetStagesAsync),
            new("GET", "restapis/{restapi_id}/stages/{stage_name}", stages.GetStageAsync),
            new("PATCH", "restapis/{restapi_id}/stages/{stage_name}", stages.UpdateStageAsync),
            new("DELETE", "restapis/{restapi_id}/stages/{stage_name}", stages.DeleteStageAsync),
            new("DELETE", "restapis/{restapi_id}/stages/{stage_name}/cache/data", stages.FlushStageCacheAsync),
            new("POST", "apikeys", keys.CreateApiKeyAsync),
            new("GET", "apikeys", keys.GetApiKeysAsync),
            new("GET", "apikeys/{api_Key}", keys.GetApiKeyAsync),
            new("PATCH", "apikeys/{api_Key}", keys.UpdateApiKeyAsync),
            new("DELETE", "apikeys/{api_Key}", keys.DeleteApiKeyAsync),
            new("POST", "usageplans", keys.CreateUsagePlanAsync),
            new("GET", "usageplans", keys.GetUsagePlansAsync),
            new("GET", "usageplans/{usageplanId}", keys.GetUsagePlanAsync),
            new("PATCH", "usageplans/{usageplanId}", keys.UpdateUsagePlanAsync),
            new("DELETE", "usageplans/{usageplanId}", keys.DeleteUsagePlanAsync),
            new("POST", "usageplans/{usageplanId}/keys", keys.CreateUsagePlanKeyAsync),
            new("GET", "usageplans/{usageplanId}/keys", keys.GetUsagePlanKeysAsync),
            new("DELETE", "usageplans/{usageplanId}/keys/{keyId}", keys.DeleteUsagePlanKeyAsync),
            new("GET", "usageplans/{usageplanId}/usage", keys.GetUsageAsync),
        ];
    }

    public async Task HandleAsync(HttpContext http)
    {
        var response = http.Response;
        response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        try
        {
            var body = await BoundedRequestBody.ReadAsync(http.Request, MaxBodyBytes, http.RequestAborted).ConfigureAwait(false)
                ?? throw new ManagementError("RequestEntityTooLargeException", StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {MaxBodyBytes} bytes.");
            var signature = _verifier.Verify(http.Request, body);
            if (!signature.IsAccepted)
            {
                throw ManagementError.From(signature);
            }
            var (operation, values) = Match(http.Request.Method, http.Request.Path.Value ?? "/");
            var result = await operation(new ManagementRequest(values, http.Request.Query, body), http.RequestAborted).ConfigureAwait(false);
            response.StatusCode = result.Status;
            if (result.Body is not null)
            {
                response.ContentType = ContentType;
                await response.WriteAsync(result.Body.ToJsonString(WriteOptions), http.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (ManagementError.From(exception) is { } error)
        {
            await WriteErrorAsync(response, error).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            GatewayLog.ManagementFailed(_logger, http.Request.Method, http.Request.Path.Value ?? "", exception);
            await WriteErrorAsync(response, new ManagementError("InternalFailure", StatusCodes.Status500InternalServerError, "The request failed inside the gateway; see its log."))
                .ConfigureAwait(false);
        }
    }

    private (Func<ManagementRequest, CancellationToken, Task<ManagementResult>> Operation, Dictionary<string, string> Values) Match(string method, string path)
    {
        var segments = path.Trim('/').Split('/');
        var pathMatched = false;
        foreach (var route in _routes)
        {
            if (route.TryMatch(segments) is not { } values)
            {
                continue;
            }
            pathMatched = true;
            if (route.Method == method)
            {
                return (route.Operation, values);
            }
        }
        throw pathMatched
            ? new ManagementError("MethodNotAllowedException", StatusCodes.Status405MethodNotAllowed, $"{method} is not an operation on {path}.")
            : ManagementError.NotFound($"No API Gateway operation at {method} {path}.");
    }

    private static async Task WriteErrorAsync(HttpResponse response, ManagementError error)
    {
        if (response.HasStarted)
        {
            return;
        }
        response.StatusCode = error.Status;
        response.ContentType = ContentType;
        response.Headers["x-amzn-ErrorType"] = error.Type;
        await response.WriteAsync(new JsonObject { ["message"] = error.Message }.ToJsonString(WriteOptions)).ConfigureAwait(false);
    }

    /// <summary>A requestUri template of the model, e.g. "restapis/{restapi_id}/stages".</summary>
    private sealed class Route(string method, string template, Func<ManagementRequest, CancellationToken, Task<ManagementResult>> operation)
    {
        private readonly string[] _segments = template.Split('/');

        public string Method { get; } = method;

        public Func<ManagementRequest, CancellationToken, Task<ManagementResult>> Operation { get; } = operation;

        public Dictionary<string, string>? TryMatch(string[] segments)
        {
            if (segments.Length != _segments.Length)
            {
                return null;
            }
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < segments.Length; i++)
            {
                var part = _segments[i];
                if (part.StartsWith('{'))
                {
                    if (segments[i].Length == 0)
                    {
                        return null;
                    }
                    values[part[1..^1]] = segments[i];
                }
                else if (!string.Equals(part, segments[i], StringComparison.Ordinal))
                {
                    return null;
                }
            }
            return values;
        }
    }
}
