using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Sluice.Query.Persistence;

/// <summary>The state database answers: without it no statement can be accepted and no saga move on.</summary>
internal sealed class StateDatabaseHealthCheck(PostgresStateDatabase database) : IHealthCheck
{
    public const string Tag = "state-store";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var ping = new NpgsqlCommand("SELECT 1", connection);
            await ping.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "The state database (Sluice:Query:State:ConnectionString) did not answer.", exception);
        }
    }
}
