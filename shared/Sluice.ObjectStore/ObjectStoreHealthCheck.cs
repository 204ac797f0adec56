using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Sluice.ObjectStore;

/// <summary>
/// The object store answers: a metadata look-up of one key (a HEAD on S3, a stat on a local
/// directory). The key need not exist; reaching the store is what counts.
/// </summary>
public sealed class ObjectStoreHealthCheck(IObjectStore store) : IHealthCheck
{
    /// <summary>The tag of this check, for services that depend on the object store.</summary>
    public const string Tag = "object-store";

    private const string ProbeKey = "_sluice/health-probe";

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.TryGetInfoAsync(ProbeKey, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "The object store did not answer a metadata look-up.", exception);
        }
    }
}
