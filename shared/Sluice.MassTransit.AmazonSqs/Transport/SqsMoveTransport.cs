namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>
/// Moves a received message to another queue: the error queue when a consumer faulted (with the
/// fault headers), the dead-letter ("_skipped") queue when no consumer took it.
/// </summary>
internal sealed class SqsMoveTransport(string destination) : IErrorTransport, IDeadLetterTransport
{
    public Task Send(ExceptionReceiveContext context) =>
        Move(context, SqsHeaders.AsText(context.ExceptionHeaders.GetAll()));

    public Task Send(ReceiveContext context, string reason) =>
        Move(context, [new(MessageHeaders.Reason, reason ?? "Unspecified")]);

    private async Task Move(ReceiveContext context, IEnumerable<KeyValuePair<string, string>> extraHeaders)
    {
        // The error pipe hands a proxy of the receive context: the SQS message travels as a payload.
        if (!context.TryGetPayload(out ClientContext? client) || !context.TryGetPayload(out Message? message))
        {
            throw new ArgumentException("The receive context did not come from the SQS transport.", nameof(context));
        }
        var queue = await client.Connection.GetQueue(destination, context.CancellationToken).ConfigureAwait(false);
        var headers = extraHeaders.ToList();
        headers.AddRange(message.MessageAttributes
            .Where(a => a.Value.StringValue is not null && !a.Key.Equals(SqsHeaders.DueAt, StringComparison.Ordinal))
            .Select(a => new KeyValuePair<string, string>(a.Key, a.Value.StringValue)));
        var entry = new SendMessageBatchRequestEntry("", message.Body) { MessageAttributes = SqsHeaders.ToAttributes(headers) };
        if (SqsEntityNames.IsFifo(destination))
        {
            entry.MessageGroupId = message.Attributes.GetValueOrDefault("MessageGroupId") ?? message.MessageId;
            entry.MessageDeduplicationId = message.MessageId;
        }
        await client.Connection.Send(queue, entry, context.CancellationToken).ConfigureAwait(false);
    }
}
