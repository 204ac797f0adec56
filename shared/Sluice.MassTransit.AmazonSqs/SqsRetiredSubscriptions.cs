using Amazon.SQS.Model;
using Sluice.Transports.AmazonSqs.Transport;

namespace Sluice.Transports.AmazonSqs;

/// <summary>
/// Removes a subscription an endpoint no longer needs. The transport subscribes an endpoint's queue
/// to the SNS topic of each message type its consumers take, and SNS keeps the subscription after
/// the consumer is gone: without this, an endpoint that stopped consuming a type would go on
/// receiving it, and set each message aside in its _skipped queue.
/// </summary>
public static class SqsRetiredSubscriptions
{
    /// <summary>
    /// Unsubscribes the queue of endpoint <paramref name="endpointName"/> from the topic of
    /// <paramref name="messageType"/>, named as the bus with <paramref name="settings"/> names them
    /// (with its scope). A queue that does not exist, or is not subscribed, is left as it is.
    /// </summary>
    /// <returns>How many subscriptions were removed.</returns>
    public static async Task<int> RemoveAsync(SqsHostSettings settings, string endpointName, Type messageType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        await using var connection = new SqsConnection(settings);
        string queueArn;
        try
        {
            var queueUrl = (await connection.Sqs.GetQueueUrlAsync(SqsEntityNames.WithScope(settings.Scope, endpointName), cancellationToken).ConfigureAwait(false)).QueueUrl;
            queueArn = (await connection.Sqs.GetQueueAttributesAsync(queueUrl, ["QueueArn"], cancellationToken).ConfigureAwait(false)).QueueARN;
        }
        catch (QueueDoesNotExistException)
        {
            return 0;
        }

        // The same name the bus publishes to; CreateTopic is idempotent, and the type's publishers
        // keep the topic anyway.
        var topicName = SqsEntityNames.WithScope(settings.Scope, new SqsMessageNameFormatter().GetMessageName(messageType));
        var topicArn = await connection.GetTopicArn(topicName, cancellationToken).ConfigureAwait(false);
        var removed = 0;
        foreach (var (subscriptionArn, endpoint) in await connection.Sns.ListSubscriptionsByTopicAsync(topicArn, cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(endpoint, queueArn, StringComparison.Ordinal))
            {
                await connection.Sns.UnsubscribeAsync(subscriptionArn, cancellationToken).ConfigureAwait(false);
                removed++;
            }
        }
        return removed;
    }
}
