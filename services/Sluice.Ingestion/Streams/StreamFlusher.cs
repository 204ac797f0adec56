using Microsoft.Extensions.Options;

namespace Sluice.Ingestion.Streams;

/// <summary>
/// Lands push streams in the background: at start, every stream's logs are reopened (segments left
/// by the previous run land first) and landings not yet announced are published; then, every
/// Sluice:Ingestion:Streams:FlushInterval, each shard's segment that is large or old enough is
/// closed and landed. A failed landing is logged and tried again at the next tick; nothing
/// acknowledged is dropped.
/// </summary>
internal sealed class StreamFlusher(StreamRegistry streams, StreamLanding landing, IOptions<IngestionOptions> options, TimeProvider time, ILogger<StreamFlusher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Streams.FlushInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var stream in streams.All())
                {
                    try
                    {
                        await landing.LandAsync(stream, force: false, stoppingToken).ConfigureAwait(false);
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException)
                    {
                        IngestionLog.StreamLandingFailed(logger, stream.Name, exception);
                    }
                }
                await landing.PublishAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                IngestionLog.StreamLandingFailed(logger, "*", exception);
            }
            try
            {
                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
