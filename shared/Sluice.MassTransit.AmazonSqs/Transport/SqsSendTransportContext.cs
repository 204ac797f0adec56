using System.Globalization;

namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>
/// Sends to one queue (SQS SendMessageBatch) or publishes to one topic (SNS PublishBatch); entries
/// from concurrent senders share batch requests. Delays use DelaySeconds up to SQS's fifteen
/// minutes; a longer delay carries its due time and hops through the receiving queue until due.
/// </summary>
internal sealed class SqsSendTransportContext : BaseSendTransportContext, SendTransportContext<ClientContext>
{
    /// <summary>SQS's largest DelaySeconds.</summary>
    public const int MaxDelaySeconds = 900;

    private readonly SqsReceiveEndpointContext _endpoint;
    private readonly bool _isTopic;

    private SqsSendTransportContext(SqsReceiveEndpointContext endpoint, string entityName, bool isTopic)
        : base(endpoint.HostConfiguration, endpoint.Serialization)
    {
        _endpoint = endpoint;
        _isTopic = isTopic;
        EntityName = entityName;
    }

    public static ISendTransport CreateTransport(SqsReceiveEndpointContext endpoint, string entityName, bool isTopic)
    {
        var transport = new SendTransport<ClientContext>(new SqsSendTransportContext(endpoint, entityName, isTopic));
        endpoint.AddSendAgent(transport);
        return transport;
    }

    public override string EntityName { get; }

    public override string ActivitySystem => _isTopic ? "aws_sns" : "aws_sqs";

    public Task Send(IPipe<ClientContext> pipe, CancellationToken cancellationToken = default) =>
        _endpoint.ClientContextSupervisor.Send(pipe, cancellationToken);

    public void Probe(ProbeContext context) => context.Add("entityName", EntityName);

    public override async Task<SendContext<T>> CreateSendContext<T>(T message, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken)
    {
        var context = new SqsMessageSendContext<T>(message, cancellationToken);
        await pipe.Send(context).ConfigureAwait(false);
        return context;
    }

    public Task<SendContext<T>> CreateSendContext<T>(ClientContext context, T message, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken)
        where T : class =>
        CreateSendContext(message, pipe, cancellationToken);

    public async Task Send<T>(ClientContext transportContext, SendContext<T> sendContext) where T : class
    {
        var context = sendContext as SqsMessageSendContext<T> ?? throw new ArgumentException("The send context did not come from the SQS transport.", nameof(sendContext));
        var cancellationToken = sendContext.CancellationToken;
        cancellationToken.ThrowIfCancellationRequested();

        var headers = SqsHeaders.AsText(context.Headers.GetAll()).ToList();
        headers.Add(new(MessageHeaders.ContentType, context.ContentType?.ToString() ?? ""));
        if (context.MessageId is { } messageId)
        {
            headers.Add(new(MessageHeaders.MessageId, messageId.ToString()));
        }
        if (context.CorrelationId is { } correlationId)
        {
            headers.Add(new(MessageHeaders.CorrelationId, correlationId.ToString()));
        }

        var delay = context.Delay is { } d && d > TimeSpan.Zero ? d : (TimeSpan?)null;
        if (delay is { } longDelay && (_isTopic || longDelay.TotalSeconds > MaxDelaySeconds))
        {
            headers.Add(new(SqsHeaders.DueAt, DateTimeOffset.UtcNow.Add(longDelay).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)));
        }
        var attributes = SqsHeaders.ToAttributes(headers);
        var body = context.Body.GetString();
        var isFifo = SqsEntityNames.IsFifo(EntityName);
        var groupId = isFifo ? context.GroupId ?? context.CorrelationId?.ToString() ?? context.MessageId?.ToString() : null;
        var deduplicationId = isFifo ? context.DeduplicationId ?? context.MessageId?.ToString() : null;
        var connection = transportContext.Connection;

        if (_isTopic)
        {
            var topicArn = await connection.GetTopicArn(EntityName, cancellationToken).ConfigureAwait(false);
            var entry = new SnsEntry("", body, attributes.ToDictionary(a => a.Key, a => a.Value.StringValue), groupId, deduplicationId);
            await connection.Publish(topicArn, entry, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (delay is not null && isFifo)
        {
            throw new NotSupportedException($"SQS FIFO queues take no per-message delay; '{EntityName}' cannot receive a delayed or scheduled send.");
        }
        var queue = await connection.GetQueue(EntityName, cancellationToken).ConfigureAwait(false);
        var message = new SendMessageBatchRequestEntry("", body)
        {
            MessageAttributes = attributes,
            MessageGroupId = groupId,
            MessageDeduplicationId = deduplicationId,
        };
        if (delay is { } due)
        {
            message.DelaySeconds = (int)Math.Min(Math.Ceiling(due.TotalSeconds), MaxDelaySeconds);
        }
        await connection.Send(queue, message, cancellationToken).ConfigureAwait(false);
    }
}
