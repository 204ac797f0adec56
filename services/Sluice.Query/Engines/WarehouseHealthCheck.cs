using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Sluice.Query.Engines;

/// <summary>The warehouse answers (the SQLite directory, a PostgreSQL connection, a Redshift Data API catalog call).</summary>
internal sealed class WarehouseHealthCheck(ISqlEngine engine) : IHealthCheck
{
    public const string Tag = "warehouse";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await engine.CheckReachableAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "The warehouse did not answer a catalog call.", exception);
        }
    }
}
