using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sluice.Query.Statements;

/// <summary>Forgets expired statements and deletes their results, checking a few times per retention period.</summary>
internal sealed class StatementRetentionService(StatementManager manager, IOptions<QueryOptions> options) : BackgroundService
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
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }
    }
}
