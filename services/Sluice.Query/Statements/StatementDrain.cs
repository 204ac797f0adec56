using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Query.Persistence;

namespace Sluice.Query.Statements;

/// <summary>
/// Stops the statement manager first when the host stops: in StoppingAsync, which the host calls
/// before any hosted service's StopAsync, so the bus (and Kestrel) still run while statements
/// drain and the aborted ones are announced.
/// </summary>
internal sealed class StatementDrain(StatementManager manager, IOptions<QueryOptions> options, IServiceProvider services,
    ILogger<StatementDrain> logger) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await manager.StopAsync(options.Value.ShutdownDrain, cancellationToken).ConfigureAwait(false);
        // The durable profile's events leave through the outbox: relayed now, before the bus stops.
        if (services.GetService<StatementOutboxRelay>() is { } relay)
        {
            try
            {
                await relay.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Left pending in the outbox: the next start (or another replica) relays them.
                QueryLog.OutboxFlushAtStopFailed(logger, exception);
            }
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Registers <see cref="StatementDrain"/> with its setting, Sluice:Query:ShutdownDrain.</summary>
internal static class StatementDrainHosting
{
    // Beyond the drain, what the rest of the stop needs (the bus waits up to 30 s for its consumers).
    private static readonly TimeSpan StopAllowance = TimeSpan.FromSeconds(40);

    private static readonly TimeSpan MaxDrain = TimeSpan.FromMinutes(10);

    /// <summary>Checks Sluice:Query:ShutdownDrain, registers the drain and gives the host's shutdown the time it needs.</summary>
    public static void AddStatementDrain(this IHostApplicationBuilder builder)
    {
        var drain = builder.Configuration.GetSection(QueryOptions.SectionName).GetValue(nameof(QueryOptions.ShutdownDrain), new QueryOptions().ShutdownDrain);
        if (drain < TimeSpan.Zero || drain > MaxDrain)
        {
            throw new InvalidOperationException($"Sluice:Query:ShutdownDrain must be between 0 and {MaxDrain.TotalMinutes} minutes, not {drain}.");
        }
        builder.Services.AddHostedService<StatementDrain>();
        builder.Services.Configure<HostOptions>(host =>
        {
            if (host.ShutdownTimeout < drain + StopAllowance)
            {
                host.ShutdownTimeout = drain + StopAllowance;
            }
        });
    }
}
