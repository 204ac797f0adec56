namespace Sluice.Gateway.Storage;

/// <summary>
/// Where the gateway keeps its state: APIs, stages, keys, plans and daily usage. SQLite in the
/// embedded profile; the interface is what a PostgreSQL store implements for the durable one.
/// Every write is atomic: a rejected update leaves what was stored unchanged.
/// </summary>
internal interface IGatewayStore
{
    Task<IReadOnlyList<ApiRecord>> ListApisAsync(CancellationToken cancellationToken);

    Task SaveApiAsync(ApiRecord api, CancellationToken cancellationToken);

    /// <summary>Deletes the API and its stages; false when there was none.</summary>
    Task<bool> DeleteApiAsync(string apiId, CancellationToken cancellationToken);

    Task<IReadOnlyList<StageRecord>> ListStagesAsync(CancellationToken cancellationToken);

    Task SaveStageAsync(StageRecord stage, CancellationToken cancellationToken);

    Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(CancellationToken cancellationToken);

    Task SaveKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken);

    /// <summary>Deletes the key and its plan memberships; false when there was none.</summary>
    Task<bool> DeleteKeyAsync(string keyId, CancellationToken cancellationToken);

    Task<IReadOnlyList<UsagePlanRecord>> ListPlansAsync(CancellationToken cancellationToken);

    Task SavePlanAsync(UsagePlanRecord plan, CancellationToken cancellationToken);

    Task<bool> DeletePlanAsync(string planId, CancellationToken cancellationToken);

    /// <summary>Adds <paramref name="count"/> to each day's usage (upsert).</summary>
    Task AddUsageAsync(IReadOnlyList<UsageRecord> increments, CancellationToken cancellationToken);

    Task<IReadOnlyList<UsageRecord>> GetUsageAsync(string planId, DateOnly from, DateOnly to, CancellationToken cancellationToken);
}
