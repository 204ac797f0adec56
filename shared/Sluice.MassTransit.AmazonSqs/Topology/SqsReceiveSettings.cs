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

    /// <summary>The queue's visibility timeout; the lease is extended 30% of it before it would end while a consumer runs.</summary>
    public int VisibilityTimeout { get; set; } = 30;

    /// <summary>How long a consumer's lease may be extended in all before the message is let go: SQS's own limit, 12 hours, by default.</summary>
    public TimeSpan MaxVisibilityTimeout { get; set; } = MaxVisibilityTimeoutLimit;

    /// <summary>SQS keeps a message in flight at most 12 hours from its receipt.</summary>
    public static readonly TimeSpan MaxVisibilityTimeoutLimit = TimeSpan.FromHours(12);

    /// <summary>Topic names this endpoint's queue is subscribed to.</summary>
    public HashSet<string> Topics { get; } = new(StringComparer.Ordinal);

    public bool IsFifo => SqsEntityNames.IsFifo(QueueName);
}
