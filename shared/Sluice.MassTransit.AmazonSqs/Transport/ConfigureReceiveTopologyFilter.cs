using System.Globalization;

namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>
/// Deploys a receive endpoint's topology before it consumes: its queue, its error queue with a
/// redrive policy (a message SQS has handed out MaxReceiveCount times goes there even if every
/// consumer crashed before faulting it), the dead-letter queue for skipped messages, the SNS topic
/// of every message type it consumes, and the raw-delivery subscriptions from those topics.
/// </summary>
internal sealed class ConfigureReceiveTopologyFilter(SqsReceiveSettings settings, SqsConsumeTopology topology, SqsReceiveEndpointContext endpoint)
    : IFilter<ClientContext>
{
    public async Task Send(ClientContext context, IPipe<ClientContext> next)
    {
        var connection = context.Connection;
        var cancellationToken = context.CancellationToken;
        var queue = await connection.GetQueue(settings.QueueName, cancellationToken).ConfigureAwait(false);
        var attributes = new Dictionary<string, string>
        {
            ["VisibilityTimeout"] = settings.VisibilityTimeout.ToString(CultureInfo.InvariantCulture),
            ["ReceiveMessageWaitTimeSeconds"] = settings.WaitTimeSeconds.ToString(CultureInfo.InvariantCulture),
        };
        if (!settings.AutoDelete)
        {
            var errorQueue = await connection.GetQueue(SqsEntityNames.ErrorQueue(settings.QueueName), cancellationToken).ConfigureAwait(false);
            await connection.GetQueue(SqsEntityNames.DeadLetterQueue(settings.QueueName), cancellationToken).ConfigureAwait(false);
            attributes["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"{{errorQueue.Arn}}","maxReceiveCount":{{connection.Settings.MaxReceiveCount}}}""";
        }
        await connection.SetQueueAttributes(queue, attributes, cancellationToken).ConfigureAwait(false);

        foreach (var topic in topology.GetTopicNames())
        {
            var topicArn = await connection.GetTopicArn(topic, cancellationToken).ConfigureAwait(false);
            await connection.Subscribe(topicArn, queue, cancellationToken).ConfigureAwait(false);
        }
        endpoint.Queue = queue;
        await next.Send(context).ConfigureAwait(false);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("configureTopology").Add("queue", settings.QueueName);
}
