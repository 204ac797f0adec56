using System.Text.Json.Nodes;
using Sluice.Gateway.AccessLog;
using Sluice.Gateway.Caching;
using Sluice.Gateway.State;
using Sluice.Gateway.Storage;

namespace Sluice.Gateway.Management;

/// <summary>
/// The management API's deployment and stage operations. A deployment is a snapshot of the API's
/// document; a stage serves one deployment until update-stage points it at another.
/// </summary>
internal sealed class StageOperations(GatewayState state, RestApiOperations apis)
{
    /// <summary>update-stage's patch paths; {resourcePath} is the method's path with '/' written "~1" (or "*" with method "*": every method).</summary>
    private static readonly string[] StagePatches =
    [
        "replace /deploymentId",
        "replace /description",
        "replace /cacheClusterEnabled",
        "replace /cacheClusterSize",
        "replace /variables/{name}",
        "remove /variables/{name}",
        "replace /{resourcePath}/{httpMethod}/throttling/rateLimit",
        "replace /{resourcePath}/{httpMethod}/throttling/burstLimit",
        "remove /{resourcePath}/{httpMethod}/throttling/rateLimit",
        "remove /{resourcePath}/{httpMethod}/throttling/burstLimit",
        "replace /accessLogSettings/format",
        "replace /accessLogSettings/destinationArn",
        "remove /accessLogSettings",
    ];

    /// <summary>/update-deployment's one patch path: a deployment's document is fixed once made.</summary>
    private static readonly string[] DeploymentPatches = ["replace /description"];

    /// <summary>
    /// POST /restapis/{id}/deployments: a snapshot of the current document; with stageName, the
    /// stage (created or kept with its settings, variables, description and cache replaced when given) serves it.
    /// </summary>
    public async Task<ManagementResult> CreateDeploymentAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        request.Supports("stageName", "stageDescription", "description", "variables", "cacheClusterEnabled", "cacheClusterSize");
        var apiId = request.Route("restapi_id");
        var stageName = request.String("stageName");
        var description = request.String("description") ?? "";
        var variables = request.Json["variables"] is null ? null : request.StringMap("variables");
        var (cacheEnabled, cacheSize) = (request.Bool("cacheClusterEnabled"), request.String("cacheClusterSize"));
        if (string.IsNullOrEmpty(stageName))
        {
            if (variables is not null || request.String("stageDescription") is not null || cacheEnabled is not null || cacheSize is not null)
            {
                throw ManagementError.BadRequest("variables, stageDescription and the cache cluster are a stage's: give stageName too, or set them with create-stage or update-stage.");
            }
            return ManagementResult.Created(ManagementShapes.Deployment(await state.CreateDeploymentAsync(apiId, description, cancellationToken).ConfigureAwait(false)));
        }
        var existing = (await state.Store.ListStagesAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(s => s.ApiId == apiId && s.StageName == stageName);
        var stage = await state.DeployAsync(apiId, stageName, variables ?? existing?.Variables ?? new Dictionary<string, string>(),
            existing?.MethodThrottles ?? new Dictionary<string, ThrottleLimit>(), cancellationToken, StageCacheRules.WithCluster(existing?.Cache, cacheEnabled, cacheSize),
            description, request.String("stageDescription")).ConfigureAwait(false);
        return ManagementResult.Created(ManagementShapes.Deployment(await state.FindDeploymentAsync(apiId, stage.DeploymentId, cancellationToken).ConfigureAwait(false)));
    }

    public async Task<ManagementResult> GetDeploymentsAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var api = await apis.FindApiAsync(request, cancellationToken).ConfigureAwait(false);
        var deployments = (await state.Store.ListDeploymentsAsync(cancellationToken).ConfigureAwait(false)).Where(d => d.ApiId == api.Id);
        var (page, position) = ManagementPaging.Page(request, deployments, d => d.Id);
        return ManagementResult.Ok(ManagementShapes.Page(page.Select(ManagementShapes.Deployment), position));
    }

    public async Task<ManagementResult> GetDeploymentAsync(ManagementRequest request, CancellationToken cancellationToken) =>
        ManagementResult.Ok(ManagementShapes.Deployment(await FindDeploymentAsync(request, cancellationToken).ConfigureAwait(false)));

    /// <summary>PATCH .../deployments/{id}: its description.</summary>
    public async Task<ManagementResult> UpdateDeploymentAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var patches = PatchOperation.Read(request, DeploymentPatches);
        var deployment = await FindDeploymentAsync(request, cancellationToken).ConfigureAwait(false);
        var description = patches.Aggregate(deployment.Description, (_, patch) => patch.Value ?? "");
        var updated = await state.UpdateDeploymentAsync(deployment.ApiId, deployment.Id, description, cancellationToken).ConfigureAwait(false);
        return ManagementResult.Ok(ManagementShapes.Deployment(updated));
    }

    /// <summary>DELETE .../deployments/{id}: refused with BadRequestException while a stage serves it.</summary>
    public async Task<ManagementResult> DeleteDeploymentAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var deployment = await FindDeploymentAsync(request, cancellationToken).ConfigureAwait(false);
        await state.DeleteDeploymentAsync(deployment.ApiId, deployment.Id, cancellationToken).ConfigureAwait(false);
        return ManagementResult.Accepted;
    }

    public async Task<ManagementResult> CreateStageAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        request.Supports("stageName", "deploymentId", "description", "variables", "cacheClusterEnabled", "cacheClusterSize");
        var apiId = (await apis.FindApiAsync(request, cancellationToken).ConfigureAwait(false)).Id;
        var deploymentId = request.RequiredString("deploymentId");
        await FindDeploymentAsync(apiId, deploymentId, cancellationToken).ConfigureAwait(false);
        var cache = StageCacheRules.WithCluster(null, request.Bool("cacheClusterEnabled"), request.String("cacheClusterSize"));
        var stage = await state.CreateStageAsync(apiId, request.RequiredString("stageName"), deploymentId, request.StringMap("variables"), cancellationToken,
            request.String("description") ?? "", cache).ConfigureAwait(false);
        return ManagementResult.Created(ManagementShapes.Stage(stage));
    }

    public async Task<ManagementResult> GetStagesAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var api = await apis.FindApiAsync(request, cancellationToken).ConfigureAwait(false);
        var deploymentId = request.Query("deploymentId");
        var stages = (await state.Store.ListStagesAsync(cancellationToken).ConfigureAwait(false))
            .Where(s => s.ApiId == api.Id && (deploymentId is null || s.DeploymentId == deploymentId))
            .OrderBy(s => s.StageName, StringComparer.Ordinal);
        return ManagementResult.Ok(new JsonObject { ["item"] = new JsonArray([.. stages.Select(s => (JsonNode)ManagementShapes.Stage(s))]) });
    }

    public async Task<ManagementResult> GetStageAsync(ManagementRequest request, CancellationToken cancellationToken) =>
        ManagementResult.Ok(ManagementShapes.Stage(await FindStageAsync(request, cancellationToken).ConfigureAwait(false)));

    /// <summary>PATCH .../stages/{name}: every operation is checked before any is applied, so a refused list changes nothing.</summary>
    public async Task<ManagementResult> UpdateStageAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var patches = PatchOperation.Read(request, StagePatches);
        var stage = await FindStageAsync(request, cancellationToken).ConfigureAwait(false);
        var variables = new Dictionary<string, string>(stage.Variables, StringComparer.Ordinal);
        var throttles = new MethodThrottlePatches(stage.MethodThrottles);
        var (deploymentId, accessLog, description) = (stage.DeploymentId, stage.AccessLog, stage.Description);
        var (cacheEnabled, cacheSize) = ((bool?)null, (string?)null);
        foreach (var patch in patches)
        {
            var segments = patch.Path.Split('/');
            switch (patch.Template)
            {
                case "replace /deploymentId":
                    deploymentId = patch.RequiredValue;
                    await FindDeploymentAsync(stage.ApiId, deploymentId, cancellationToken).ConfigureAwait(false);
                    break;
                case "replace /description":
                    description = patch.Value ?? "";
                    break;
                case "replace /cacheClusterEnabled":
                    cacheEnabled = patch.RequiredValue switch
                    {
                        "true" => true,
                        "false" => false,
                        var other => throw ManagementError.BadRequest($"Invalid value '{other}' for /cacheClusterEnabled: expected true or false."),
                    };
                    break;
                case "replace /cacheClusterSize":
                    cacheSize = patch.RequiredValue;
                    break;
                case "replace /variables/{name}":
                    variables[segments[2]] = patch.RequiredValue;
                    break;
                case "remove /variables/{name}":
                    variables.Remove(segments[2]);
                    break;
                case "replace /accessLogSettings/format":
                    accessLog = new StageAccessLogSettings(patch.RequiredValue, accessLog?.DestinationArn ?? "");
                    break;
                case "replace /accessLogSettings/destinationArn":
                    accessLog = new StageAccessLogSettings(accessLog?.Format ?? "", patch.RequiredValue);
                    break;
                case "remove /accessLogSettings":
                    accessLog = null;
                    break;
                default:
                    throttles.Apply(MethodThrottlePatches.MethodKey(segments[1], segments[2]), segments[^1], patch);
                    break;
            }
        }
        var methodThrottles = throttles.Result(MethodThrottlePatches.AccountDefault);
        var cache = StageCacheRules.WithCluster(stage.Cache, cacheEnabled, cacheSize);
        var updated = await state.UpdateStageAsync(stage.ApiId, stage.StageName, s => s with
        {
            DeploymentId = deploymentId,
            Description = description,
            Variables = variables,
            MethodThrottles = methodThrottles,
            AccessLog = accessLog,
            Cache = cache,
        }, cancellationToken).ConfigureAwait(false);
        return ManagementResult.Ok(ManagementShapes.Stage(updated));
    }

    /// <summary>DELETE .../stages/{name}: the stage goes with its usage plan attachments and its cache (API Gateway refuses none).</summary>
    public async Task<ManagementResult> DeleteStageAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var stage = await FindStageAsync(request, cancellationToken).ConfigureAwait(false);
        await state.DeleteStageAsync(stage.ApiId, stage.StageName, cancellationToken).ConfigureAwait(false);
        return ManagementResult.Accepted;
    }

    /// <summary>DELETE .../stages/{name}/cache/data: the stage's cached integration responses are dropped, on every gateway sharing the store.</summary>
    public async Task<ManagementResult> FlushStageCacheAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var stage = await FindStageAsync(request, cancellationToken).ConfigureAwait(false);
        await state.FlushStageCacheAsync(stage.ApiId, stage.StageName, cancellationToken).ConfigureAwait(false);
        return ManagementResult.Accepted;
    }

    private async Task<StageRecord> FindStageAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var api = await apis.FindApiAsync(request, cancellationToken).ConfigureAwait(false);
        var name = request.Route("stage_name");
        return (await state.Store.ListStagesAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(s => s.ApiId == api.Id && s.StageName == name)
            ?? throw ManagementError.NotFound($"Invalid Stage identifier specified: no stage '{name}' of API '{api.Id}'.");
    }

    private async Task<DeploymentRecord> FindDeploymentAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var api = await apis.FindApiAsync(request, cancellationToken).ConfigureAwait(false);
        return await FindDeploymentAsync(api.Id, request.Route("deployment_id"), cancellationToken).ConfigureAwait(false);
    }

    private async Task<DeploymentRecord> FindDeploymentAsync(string apiId, string deploymentId, CancellationToken cancellationToken) =>
        (await state.Store.ListDeploymentsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(d => d.ApiId == apiId && d.Id == deploymentId)
            ?? throw ManagementError.NotFound($"Invalid Deployment identifier specified: no deployment '{deploymentId}' of API '{apiId}'.");
}
