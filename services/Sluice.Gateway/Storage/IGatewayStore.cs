namespace Sluice.Gateway.Storage;

/// <summary>
/// Where the gateway keeps its state: APIs, deployments, stages, keys, plans and daily usage.
/// SQLite in the embedded profile (<see cref="SqliteGatewayStore"/>), PostgreSQL in the durable
/// one (<see cref="PostgresGatewayStore"/>), where several gateways may share one database.
/// Every write is atomic: a rejected update leaves what was stored unchanged.
/// </summary>
internal interface IGatewayStore
{
    /// <summary>Creates or migrates the schema; called once at start, before anything else.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A number every write of APIs, deployments, stages, keys or plans changes (usage excepted),
    /// so a gateway sharing the store with others knows when to reload. A store only one process
    /// uses may return a constant.
    /// </summary>
    Task<long> GetChangeVersionAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<ApiRecord>> ListApisAsync(CancellationToken cancellationToken);

    Task SaveApiAsync(ApiRecord api, CancellationToken cancellationToken);

    /// <summary>Deletes the API, its deployments and its stages; false when there was none.</summary>
    Task<bool> DeleteApiAsync(string apiId, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Saves a new deployment (or the new description of a stored one) and, when given, the stage
    /// it is deployed to, in one transaction.
    /// </summary>
    Task SaveDeploymentAsync(DeploymentRecord deployment, StageRecord? stage, CancellationToken cancellationToken);

    /// <summary>Deletes a deployment no stage serves; false when there was none (or a stage serves it).</summary>
    Task<bool> DeleteDeploymentAsync(string apiId, string deploymentId, CancellationToken cancellationToken);

    Task<IReadOnlyList<StageRecord>> ListStagesAsync(CancellationToken cancellationToken);

    /// <summary>Creates or replaces a stage; its <see cref="StageRecord.CacheFlushes"/> is the store's, not the record's.</summary>
    Task SaveStageAsync(StageRecord stage, CancellationToken cancellationToken);

    /// <summary>Deletes a stage and every usage plan's attachment to it, in one transaction; false when there was none.</summary>
    Task<bool> DeleteStageAsync(string apiId, string stageName, CancellationToken cancellationToken);

    /// <summary>Increments the stage's <see cref="StageRecord.CacheFlushes"/>; false when there is no such stage.</summary>
    Task<bool> FlushStageCacheAsync(string apiId, string stageName, CancellationToken cancellationToken);

    Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(CancellationToken cancellationToken);

    Task SaveKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken);

    /// <summary>Deletes the key and its plan memberships; false when there was none.</summary>
    Task<bool> DeleteKeyAsync(string keyId, CancellationToken cancellationToken);

    Task<IReadOnlyList<UsagePlanRecord>> ListPlansAsync(CancellationToken cancellationToken);

    Task SavePlanAsync(UsagePlanRecord plan, CancellationToken cancellationToken);

    Task<bool> DeletePlanAsync(string planId, CancellationToken cancellationToken);

    /// <summary>Adds each record's count to that day's usage (an upsert, safe when gateways share the store).</summary>
    Task AddUsageAsync(IReadOnlyList<UsageRecord> increments, CancellationToken cancellationToken);

    Task<IReadOnlyList<UsageRecord>> GetUsageAsync(string planId, DateOnly from, DateOnly to, CancellationToken cancellationToken);
}
