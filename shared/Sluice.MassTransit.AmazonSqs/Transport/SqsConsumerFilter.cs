namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>Runs the endpoint's receiver for as long as the client context lives, and tells MassTransit when it is ready and done.</summary>
internal sealed class SqsConsumerFilter(SqsReceiveEndpointContext endpoint) : IFilter<ClientContext>
{
    public async Task Send(ClientContext context, IPipe<ClientContext> next)
    {
        var receiver = new SqsMessageReceiver(context, endpoint);
        await receiver.Ready.ConfigureAwait(false);
        endpoint.AddConsumeAgent(receiver);
        await endpoint.TransportObservers.NotifyReady(endpoint.InputAddress).ConfigureAwait(false);
        try
        {
            await receiver.Completed.ConfigureAwait(false);
        }
        finally
        {
            DeliveryMetrics metrics = receiver;
            await endpoint.TransportObservers.NotifyCompleted(endpoint.InputAddress, metrics).ConfigureAwait(false);
            if (endpoint.Settings.AutoDelete && endpoint.Queue is { } queue)
            {
                // The bus's own response queue lives as long as the bus: SQS has no auto-delete.
                try
                {
                    await context.Connection.Sqs.DeleteQueueAsync(queue.Url, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
                {
                    LogContext.Warning?.Log(exception, "Could not delete the temporary queue {Queue}", queue.Name);
                }
            }
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("sqsConsumer");
}
