using System.Diagnostics.CodeAnalysis;
using MassTransit.Serialization;

namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>One received SQS message as MassTransit sees it. The body is the serialized envelope (SNS delivers it raw).</summary>
internal sealed class SqsReceiveContext : BaseReceiveContext
{
    private readonly SqsHeaderProvider _headers;

    public SqsReceiveContext(Message message, bool redelivered, SqsReceiveEndpointContext endpoint, ClientContext client, QueueInfo queue)
        : base(redelivered, endpoint, client, queue, message)
    {
        TransportMessage = message;
        Body = new StringMessageBody(message.Body);
        _headers = new SqsHeaderProvider(message);
    }

    public Message TransportMessage { get; }

    public override MessageBody Body { get; }

    protected override IHeaderProvider HeaderProvider => _headers;
}

internal sealed class SqsHeaderProvider(Message message) : IHeaderProvider
{
    public bool TryGetHeader(string key, [NotNullWhen(true)] out object? value)
    {
        if (message.MessageAttributes.TryGetValue(key, out var attribute) && attribute.StringValue is { } text)
        {
            value = text;
            return true;
        }
        if (key.Equals(MessageHeaders.TransportMessageId, StringComparison.OrdinalIgnoreCase))
        {
            value = message.MessageId;
            return true;
        }
        value = null;
        return false;
    }

    public IEnumerable<KeyValuePair<string, object>> GetAll() =>
        message.MessageAttributes.Where(a => a.Value.StringValue is not null).Select(a => new KeyValuePair<string, object>(a.Key, a.Value.StringValue));
}
