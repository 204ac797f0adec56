using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Transports.AmazonSqs;

namespace Sluice.ServiceDefaults;

/// <summary>
/// Removes retired subscriptions from SNS when the host starts: an endpoint's queue stays
/// subscribed to the topic of a type it no longer consumes, and would go on receiving it, each
/// message moved to its _skipped queue (see <see cref="SqsRetiredSubscriptions"/>).
/// </summary>
internal sealed partial class AmazonSqsRetiredSubscriptions(SqsHostSettings settings, IReadOnlyList<RetiredSubscription> retired,
    ILogger<AmazonSqsRetiredSubscriptions> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var subscription in retired)
        {
            try
            {
                await SqsRetiredSubscriptions.RemoveAsync(settings, subscription.EndpointName, subscription.MessageType, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException
                or Transports.AmazonSqs.Transport.SnsException or HttpRequestException)
            {
                // Not fatal: the endpoint then skips these messages as before, and the next start tries again.
                LogUnsubscribeFailed(logger, exception, subscription.MessageType.Name, subscription.EndpointName);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 62, Level = LogLevel.Warning, Message = "Removing the retired SNS subscription of {MessageType} to endpoint {Endpoint} failed; its messages still reach the endpoint's _skipped queue")]
    private static partial void LogUnsubscribeFailed(ILogger logger, Exception exception, string messageType, string endpoint);
}
