namespace Sluice.Transports.AmazonSqs;

/// <summary>What one receive endpoint reads and how.</summary>
internal sealed class SqsReceiveSettings(string queueName, bool autoDelete)
{
    public string QueueName { get; set; } = queueName;

    /// <summary>A temporary queue (the bus's own, for responses): no error queue, deleted when the bus stops.</summary>
    public bool AutoDelete { get; set; } = autoDelete;

    public int PrefetchCount { get; set; } = 10;

    public int ConcurrentMessageLimit { get; set; } = 10;

    /// <summary>Long-poll wait; SQS allows 0-20 seconds.</summary>
    public int WaitTimeSeconds { get; set; } = 20;

    /// <summary>The queue's visibility timeout; the lock is extended at 70% of it while a consumer runs.</summary>
    public int VisibilityTimeout { get; set; } = 30;

    /// <summary>How long the lock may be extended in all before the message is let go.</summary>
    public TimeSpan MaxVisibilityExtension { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Topic names this endpoint's queue is subscribed to.</summary>
    public HashSet<string> Topics { get; } = new(StringComparer.Ordinal);

    public bool IsFifo => SqsEntityNames.IsFifo(QueueName);
}
