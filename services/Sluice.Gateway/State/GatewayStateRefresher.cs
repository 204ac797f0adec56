using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sluice.Gateway.State;

/// <summary>
/// On the Postgres store, which several gateways may share, checks every
/// Sluice:Gateway:StoreRefreshInterval whether another gateway changed the state, and reloads it.
/// An SQLite file has one gateway, so there is nothing to do.
/// </summary>
internal sealed class GatewayStateRefresher(GatewayState state, IOptions<GatewayOptions> options, ILogger<GatewayStateRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Store != GatewayStoreKind.Postgres)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.Value.StoreRefreshInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await state.RefreshAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    GatewayLog.StateRefreshFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
