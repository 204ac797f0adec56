using MassTransit.Context;

namespace Sluice.Transports.AmazonSqs;

/// <summary>SQS-specific settings of a message being sent (reach it with context.TryGetPayload).</summary>
public interface SqsSendContext
{
    /// <summary>FIFO queues only: the message group. Defaults to the correlation id, else the message id.</summary>
    string? GroupId { get; set; }

    /// <summary>FIFO queues only: the deduplication id. Defaults to the message id.</summary>
    string? DeduplicationId { get; set; }
}

internal sealed class SqsMessageSendContext<T>(T message, CancellationToken cancellationToken)
    : MessageSendContext<T>(message, cancellationToken), SqsSendContext
    where T : class
{
    public string? GroupId { get; set; }

    public string? DeduplicationId { get; set; }
}
