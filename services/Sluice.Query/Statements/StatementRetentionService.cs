using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Query.Persistence;

namespace Sluice.Query.Statements;

/// <summary>Forgets expired statements (deleting their results) and old inbox entries, checking a few times per retention period.</summary>
internal sealed class StatementRetentionService(StatementManager manager, IMessageInbox inbox, TimeProvider time, IOptions<QueryOptions> options,
    ILogger<StatementRetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = options.Value.ResultRetention / 4;
        period = period < TimeSpan.FromMilliseconds(200) ? TimeSpan.FromMilliseconds(200) : period > TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : period;
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                manager.RemoveExpired();
                try
                {
                    // Messages are redelivered within minutes; a statement's retention is ample.
                    await inbox.RemoveOlderThanAsync(time.GetUtcNow() - options.Value.ResultRetention, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // The state database is unreachable for now: the next tick tries again.
                    QueryLog.InboxPruneFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }
    }
}
