using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Query.Persistence;
using Sluice.Query.Statements;

namespace Sluice.Query.Replicas;

/// <summary>
/// This replica's lease in the state database's <c>replicas</c> table: taken at start, renewed
/// every HeartbeatInterval, given back at stop (after the statement manager's last writes, as it
/// is registered before it). On each renewal it takes over the statements of replicas whose
/// lease expired: those are failed with the reason (remote ones resumed), never run again.
/// </summary>
/// <remarks>
/// A replica that cannot renew its lease for LeaseTimeout (its database link is down) may see its
/// statements taken over while it still runs them; its later writes to them are then ignored by
/// the store (<see cref="PostgresStatementStore"/>), so the store keeps the one truth the new
/// runner wrote.
/// </remarks>
internal sealed partial class ReplicaLeaseService(PostgresStateDatabase database, StatementManager manager, ReplicaServices replica,
    IHostApplicationLifetime lifetime, TimeProvider time, ILogger<ReplicaLeaseService> logger) : BackgroundService
{
    private const string Table = StateSchema.Name + ".replicas";

    // A lease row left by a replica that died is kept this long for inspection, then deleted.
    private static readonly TimeSpan ForgottenAfter = TimeSpan.FromDays(1);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RenewAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var release = new NpgsqlCommand($"DELETE FROM {Table} WHERE id = $1", connection) { Parameters = { new() { Value = replica.ReplicaId } } };
            await release.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or OperationCanceledException)
        {
            // The lease then expires by itself.
            LogLeaseFailure(logger, exception, replica.ReplicaId);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Statements taken over are failed with an event: not before the bus is up.
        await WhenStartedAsync(stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(replica.Options.HeartbeatInterval, time, stoppingToken).ConfigureAwait(false);
                await RenewAsync(stoppingToken).ConfigureAwait(false);
                manager.EndInterrupted(await manager.ClaimOrphansAsync(stoppingToken).ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogLeaseFailure(logger, exception, replica.ReplicaId);
            }
        }
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        // The database's clock, as the lease is compared on it (ClaimOrphansAsync).
        await using var renew = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new($"INSERT INTO {Table} (id, started_at, last_seen) VALUES ($1, now(), now()) ON CONFLICT (id) DO UPDATE SET last_seen = now()")
                {
                    Parameters = { new() { Value = replica.ReplicaId } },
                },
                new($"DELETE FROM {Table} WHERE last_seen < now() - $1::interval") { Parameters = { new() { Value = ForgottenAfter } } },
            },
        };
        await renew.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private Task WhenStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(stoppingToken);
    }

    [LoggerMessage(EventId = 62, Level = LogLevel.Warning, Message = "Query replica {ReplicaId} could not renew or release its lease in the state database")]
    private static partial void LogLeaseFailure(ILogger logger, Exception exception, string replicaId);
}
