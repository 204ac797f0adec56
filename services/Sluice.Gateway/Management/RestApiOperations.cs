using System.Text.Json.Nodes;
using Sluice.Gateway.Definitions;
using Sluice.Gateway.Pipeline;
using Sluice.Gateway.State;
using Sluice.Gateway.Storage;
using Sluice.Gateway.V1;

namespace Sluice.Gateway.Management;

/// <summary>The management API's REST API, resource and method operations, on <see cref="GatewayState"/>.</summary>
internal sealed class RestApiOperations(GatewayState state, IServiceProvider services)
{
    public async Task<ManagementResult> GetRestApisAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var (page, position) = ManagementPaging.Page(request, await state.Store.ListApisAsync(cancellationToken).ConfigureAwait(false), a => a.Id);
        return ManagementResult.Ok(ManagementShapes.Page(page.Select(a => ManagementShapes.RestApi(a)), position));
    }

    /// <summary>POST /restapis?mode=import: the body is the OpenAPI document (JSON or YAML).</summary>
    public async Task<ManagementResult> ImportRestApiAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        if (request.Query("mode") != "import")
        {
            throw ManagementError.BadRequest("CreateRestApi is not supported: create an API with import-rest-api (POST /restapis?mode=import) and an OpenAPI document.");
        }
        request.QueryBool("failonwarnings");
        var (api, definition) = await state.ImportApiAsync(null, request.Text, cancellationToken).ConfigureAwait(false);
        return ManagementResult.Created(ManagementShapes.RestApi(api, definition));
    }

    public async Task<ManagementResult> GetRestApiAsync(ManagementRequest request, CancellationToken cancellationToken) =>
        ManagementResult.Ok(ManagementShapes.RestApi(await FindApiAsync(request, cancellationToken).ConfigureAwait(false)));

    /// <summary>PUT /restapis/{id}: the document replaces the API's (mode overwrite); a rejected document changes nothing.</summary>
    public async Task<ManagementResult> PutRestApiAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        if (request.Query("mode") is { } mode && mode != "overwrite")
        {
            throw ManagementError.BadRequest($"mode '{mode}' is not supported: put-rest-api replaces the whole document (--mode overwrite).");
        }
        request.QueryBool("failonwarnings");
        var api = await state.PutApiAsync(request.Route("restapi_id"), request.Text, cancellationToken).ConfigureAwait(false);
        return ManagementResult.Ok(ManagementShapes.RestApi(api));
    }

    public async Task<ManagementResult> DeleteRestApiAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        await state.DeleteApiAsync(request.Route("restapi_id"), cancellationToken).ConfigureAwait(false);
        return ManagementResult.Accepted;
    }

    public async Task<ManagementResult> GetResourcesAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var (_, definition) = await ReadApiAsync(request, cancellationToken).ConfigureAwait(false);
        var (page, position) = ManagementPaging.Page(request, ManagementShapes.Resources(definition), r => r.Path);
        return ManagementResult.Ok(ManagementShapes.Page(page.Select(r => ManagementShapes.Resource(r.Path, r.Methods)), position));
    }

    public async Task<ManagementResult> GetResourceAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var (_, definition) = await ReadApiAsync(request, cancellationToken).ConfigureAwait(false);
        var (path, methods) = FindResource(request, definition);
        return ManagementResult.Ok(ManagementShapes.Resource(path, methods));
    }

    public async Task<ManagementResult> GetMethodAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var (_, definition) = await ReadApiAsync(request, cancellationToken).ConfigureAwait(false);
        return ManagementResult.Ok(ManagementShapes.Method(FindMethod(request, definition)));
    }

    /// <summary>
    /// POST .../methods/{verb}: one request through the pipeline without key, throttle and quota
    /// (<see cref="TestInvocation"/>). It runs on a stage deployed with the API's current document
    /// (or, if none is, the first of its stages): Sluice reads methods only from deployments.
    /// </summary>
    public async Task<ManagementResult> TestInvokeMethodAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        request.Supports("pathWithQueryString", "body", "headers", "stageVariables");
        var (api, definition) = await ReadApiAsync(request, cancellationToken).ConfigureAwait(false);
        var method = FindMethod(request, definition);
        var stages = state.Snapshot.Stages.Values.Where(s => s.Stage.ApiId == api.Id).OrderBy(s => s.Stage.StageName, StringComparer.Ordinal).ToList();
        var stage = stages.FirstOrDefault(s => s.Stage.Document == api.Document) ?? stages.FirstOrDefault()
            ?? throw ManagementError.BadRequest($"API '{api.Id}' has no stage: test-invoke-method runs on a deployment, so create one first (create-deployment --stage-name ...).");
        var path = request.String("pathWithQueryString") ?? method.ResourcePath;
        var invoke = new TestInvokeMethodRequest
        {
            ApiId = api.Id,
            Stage = stage.Stage.StageName,
            HttpMethod = method.HttpMethod,
            PathWithQueryString = path,
            Body = request.String("body") ?? "",
        };
        foreach (var (name, value) in request.StringMap("headers"))
        {
            invoke.Headers[name] = value;
        }
        foreach (var (name, value) in request.StringMap("stageVariables"))
        {
            invoke.StageVariables[name] = value;
        }
        var result = await TestInvocation.RunAsync(services, invoke, cancellationToken).ConfigureAwait(false);
        var headers = new JsonObject();
        var multiValueHeaders = new JsonObject();
        foreach (var (name, value) in result.Headers)
        {
            headers[name] = value;
            multiValueHeaders[name] = new JsonArray(value);
        }
        return ManagementResult.Ok(new JsonObject
        {
            ["status"] = result.Status,
            ["body"] = result.Body,
            ["headers"] = headers,
            ["multiValueHeaders"] = multiValueHeaders,
            ["log"] = result.Log,
            ["latency"] = result.LatencyMs,
        });
    }

    /// <summary>The API the route names; NotFoundException when there is none.</summary>
    public async Task<ApiRecord> FindApiAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var id = request.Route("restapi_id");
        return (await state.Store.ListApisAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(a => a.Id == id)
            ?? throw ManagementError.NotFound($"Invalid API identifier specified: no API with id '{id}'.");
    }

    private async Task<(ApiRecord Api, ApiDefinition Definition)> ReadApiAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var api = await FindApiAsync(request, cancellationToken).ConfigureAwait(false);
        return (api, await ApiDocumentReader.ReadAsync(api.Id, api.Document, cancellationToken).ConfigureAwait(false));
    }

    private static (string Path, IReadOnlyList<MethodDefinition> Methods) FindResource(ManagementRequest request, ApiDefinition definition)
    {
        var id = request.Route("resource_id");
        return ManagementShapes.Resources(definition).FirstOrDefault(r => ManagementShapes.ResourceId(r.Path) == id) is { Path: not null } found
            ? found
            : throw ManagementError.NotFound($"Invalid Resource identifier specified: no resource '{id}' in API '{definition.Id}'.");
    }

    private static MethodDefinition FindMethod(ManagementRequest request, ApiDefinition definition)
    {
        var (path, methods) = FindResource(request, definition);
        var verb = request.Route("http_method");
        return methods.FirstOrDefault(m => string.Equals(m.HttpMethod, verb, StringComparison.OrdinalIgnoreCase))
            ?? throw ManagementError.NotFound($"Invalid Method identifier specified: resource {path} has no {verb.ToUpperInvariant()} method.");
    }
}
