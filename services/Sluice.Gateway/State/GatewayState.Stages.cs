using Sluice.Gateway.AccessLog;
using Sluice.Gateway.Caching;
using Sluice.Gateway.Storage;

namespace Sluice.Gateway.State;

/// <summary>Deployments (snapshots of an API's document) and changes to the stages that serve them.</summary>
internal sealed partial class GatewayState
{
    /// <summary>Deploys the API's current document to a stage, created or replaced.</summary>
    public async Task<StageRecord> DeployAsync(string apiId, string stageName, IReadOnlyDictionary<string, string> variables,
        IReadOnlyDictionary<string, ThrottleLimit> methodThrottles, CancellationToken cancellationToken, StageCacheSettings? cache = null, string deploymentDescription = "",
        string? stageDescription = null)
    {
        CheckDescription(deploymentDescription);
        CheckDescription(stageDescription ?? "");
        if (cache is not null)
        {
            StageCacheRules.Check(cache);
        }
        if (!StagePattern().IsMatch(stageName))
        {
            throw new GatewayArgumentException("stage_name", $"'{stageName}' is not a stage name (letters, digits, '-' and '_', up to 128).");
        }
        CheckVariables(variables);
        CheckMethodThrottles(methodThrottles);
        StageRecord? stage = null;
        await ChangeAsync(async () =>
        {
            var api = (await store.ListApisAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(a => a.Id == apiId)
                ?? throw new GatewayNotFoundException($"No API with id '{apiId}'.");
            var existing = (await store.ListStagesAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(s => s.ApiId == apiId && s.StageName == stageName);
            var deployment = new DeploymentRecord(apiId, NewId(6), deploymentDescription, api.Document, Now());
            stage = new StageRecord(apiId, stageName, deployment.Id, api.Document, variables, methodThrottles, existing?.CreatedUnixMs ?? Now(), cache, existing?.AccessLog,
                stageDescription ?? existing?.Description ?? "");
            await store.SaveDeploymentAsync(deployment, stage, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return stage!;
    }

    /// <summary>A new stage serving an existing deployment (the document another stage of the API was deployed with).</summary>
    public async Task<StageRecord> CreateStageAsync(string apiId, string stageName, string deploymentId, IReadOnlyDictionary<string, string> variables, CancellationToken cancellationToken,
        string description = "", StageCacheSettings? cache = null)
    {
        CheckDescription(description);
        if (cache is not null)
        {
            StageCacheRules.Check(cache);
        }
        if (!StagePattern().IsMatch(stageName))
        {
            throw new GatewayArgumentException("stage_name", $"'{stageName}' is not a stage name (letters, digits, '-' and '_', up to 128).");
        }
        CheckVariables(variables);
        StageRecord? stage = null;
        await ChangeAsync(async () =>
        {
            if ((await store.ListApisAsync(cancellationToken).ConfigureAwait(false)).All(a => a.Id != apiId))
            {
                throw new GatewayNotFoundException($"No API with id '{apiId}'.");
            }
            var stages = (await store.ListStagesAsync(cancellationToken).ConfigureAwait(false)).Where(s => s.ApiId == apiId).ToList();
            var deployment = (await store.ListDeploymentsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(d => d.ApiId == apiId && d.Id == deploymentId)
                ?? throw new GatewayNotFoundException($"No deployment '{deploymentId}' of API '{apiId}'.");
            if (stages.Any(s => s.StageName == stageName))
            {
                throw new GatewayConflictException($"Stage '{stageName}' already exists.");
            }
            stage = new StageRecord(apiId, stageName, deploymentId, deployment.Document, variables, new Dictionary<string, ThrottleLimit>(), Now(), cache, Description: description);
            await store.SaveStageAsync(stage, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return stage!;
    }

    /// <summary>A snapshot of the API's current document that no stage serves yet.</summary>
    public async Task<DeploymentRecord> CreateDeploymentAsync(string apiId, string description, CancellationToken cancellationToken)
    {
        CheckDescription(description);
        DeploymentRecord? deployment = null;
        await ChangeAsync(async () =>
        {
            var api = (await store.ListApisAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(a => a.Id == apiId)
                ?? throw new GatewayNotFoundException($"No API with id '{apiId}'.");
            deployment = new DeploymentRecord(apiId, NewId(6), description, api.Document, Now());
            await store.SaveDeploymentAsync(deployment, null, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return deployment!;
    }

    /// <summary>Changes a deployment's description; all else about a deployment is fixed.</summary>
    public async Task<DeploymentRecord> UpdateDeploymentAsync(string apiId, string deploymentId, string description, CancellationToken cancellationToken)
    {
        CheckDescription(description);
        DeploymentRecord? deployment = null;
        await ChangeAsync(async () =>
        {
            deployment = await FindDeploymentAsync(apiId, deploymentId, cancellationToken).ConfigureAwait(false) with { Description = description };
            await store.SaveDeploymentAsync(deployment, null, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return deployment!;
    }

    /// <summary>
    /// Deletes a stage, as API Gateway allows at any time: the usage plans lose their attachment to
    /// it (with its method throttles) and its cache goes, on every gateway sharing the store.
    /// </summary>
    public Task DeleteStageAsync(string apiId, string stageName, CancellationToken cancellationToken) => ChangeAsync(async () =>
    {
        await FindApiAsync(apiId, cancellationToken).ConfigureAwait(false);
        if (!await store.DeleteStageAsync(apiId, stageName, cancellationToken).ConfigureAwait(false))
        {
            throw new GatewayNotFoundException($"No stage '{stageName}' of API '{apiId}'.");
        }
    }, cancellationToken);

    /// <summary>
    /// Empties the stage's cache: here at once (the reload after the change), and on other gateways
    /// sharing the store at their next refresh, when they see the stage's new flush count.
    /// </summary>
    public Task FlushStageCacheAsync(string apiId, string stageName, CancellationToken cancellationToken) => ChangeAsync(async () =>
    {
        await FindApiAsync(apiId, cancellationToken).ConfigureAwait(false);
        if (!await store.FlushStageCacheAsync(apiId, stageName, cancellationToken).ConfigureAwait(false))
        {
            throw new GatewayNotFoundException($"No stage '{stageName}' of API '{apiId}'.");
        }
    }, cancellationToken);

    /// <summary>Deletes a deployment; refused while a stage serves it, as API Gateway refuses.</summary>
    public Task DeleteDeploymentAsync(string apiId, string deploymentId, CancellationToken cancellationToken) => ChangeAsync(async () =>
    {
        await FindDeploymentAsync(apiId, deploymentId, cancellationToken).ConfigureAwait(false);
        var serving = (await store.ListStagesAsync(cancellationToken).ConfigureAwait(false))
            .Where(s => s.ApiId == apiId && s.DeploymentId == deploymentId).Select(s => s.StageName).ToList();
        if (serving.Count > 0 || !await store.DeleteDeploymentAsync(apiId, deploymentId, cancellationToken).ConfigureAwait(false))
        {
            throw new GatewayArgumentException("deployment_id",
                $"Active stages pointing to this deployment must be moved or deleted (stage(s) {string.Join(", ", serving)} of API '{apiId}' serve deployment '{deploymentId}').");
        }
    }, cancellationToken);

    public async Task<DeploymentRecord> FindDeploymentAsync(string apiId, string deploymentId, CancellationToken cancellationToken)
    {
        await FindApiAsync(apiId, cancellationToken).ConfigureAwait(false);
        return (await store.ListDeploymentsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(d => d.ApiId == apiId && d.Id == deploymentId)
            ?? throw new GatewayNotFoundException($"No deployment '{deploymentId}' of API '{apiId}'.");
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the stored stage and saves the result once it is
    /// checked: a new deployment id makes the stage serve that deployment's document, a cache
    /// turned off or resized is flushed. A change that throws or fails a check stores nothing.
    /// </summary>
    public async Task<StageRecord> UpdateStageAsync(string apiId, string stageName, Func<StageRecord, StageRecord> change, CancellationToken cancellationToken)
    {
        StageRecord? updated = null;
        await ChangeAsync(async () =>
        {
            await FindApiAsync(apiId, cancellationToken).ConfigureAwait(false);
            var stored = (await store.ListStagesAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(s => s.ApiId == apiId && s.StageName == stageName)
                ?? throw new GatewayNotFoundException($"No stage '{stageName}' of API '{apiId}'.");
            updated = change(stored);
            CheckDescription(updated.Description);
            if (updated.DeploymentId != stored.DeploymentId)
            {
                var deployment = await FindDeploymentAsync(apiId, updated.DeploymentId, cancellationToken).ConfigureAwait(false);
                updated = updated with { Document = deployment.Document };
            }
            CheckVariables(updated.Variables);
            CheckMethodThrottles(updated.MethodThrottles);
            if (updated.Cache is not null)
            {
                StageCacheRules.Check(updated.Cache);
            }
            if (updated.AccessLog is not null)
            {
                AccessLogDestination.Check(updated.AccessLog);
            }
            await store.SaveStageAsync(updated, cancellationToken).ConfigureAwait(false);
            // As API Gateway's, a cache turned off or resized starts empty.
            if (stored.Cache is { } before && (updated.Cache?.Enabled != before.Enabled || updated.Cache?.CapacityBytes != before.CapacityBytes))
            {
                await store.FlushStageCacheAsync(apiId, stageName, cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
        return updated!;
    }

    private async Task FindApiAsync(string apiId, CancellationToken cancellationToken)
    {
        if ((await store.ListApisAsync(cancellationToken).ConfigureAwait(false)).All(a => a.Id != apiId))
        {
            throw new GatewayNotFoundException($"No API with id '{apiId}'.");
        }
    }

    private static void CheckDescription(string description)
    {
        if (description.Length > 1024)
        {
            throw new GatewayArgumentException("description", "A description has at most 1024 characters.");
        }
    }

    private static void CheckMethodThrottles(IReadOnlyDictionary<string, ThrottleLimit> methodThrottles)
    {
        foreach (var (key, limit) in methodThrottles)
        {
            if (!MethodKey().IsMatch(key))
            {
                throw new GatewayArgumentException("method_throttles", $"'{key}' is not a method key like /pets/GET or */*.");
            }
            CheckThrottle("method_throttles[" + key + "]", limit);
        }
    }
}
