namespace Sluice.Transports.AmazonSqs;

/// <summary>Configures a bus on Sluice's Amazon SQS transport.</summary>
public interface ISqsBusFactoryConfigurator : IBusFactoryConfigurator<ISqsReceiveEndpointConfigurator>
{
    /// <summary>Sets the region, endpoint override and credentials every SQS and SNS call uses.</summary>
    void Host(SqsHostSettings settings);
}

/// <summary>Configures one receive endpoint (one SQS queue).</summary>
public interface ISqsReceiveEndpointConfigurator : IReceiveEndpointConfigurator
{
    /// <summary>Long-poll wait of each ReceiveMessage call, 0-20 seconds. Defaults to 20.</summary>
    int WaitTimeSeconds { set; }

    /// <summary>
    /// The queue's visibility timeout in seconds (1-43200). While a consumer runs the transport
    /// extends it 30% of its length before it would end, so a long consumer keeps its message.
    /// Defaults to 30.
    /// </summary>
    int VisibilityTimeout { set; }

    /// <summary>
    /// How long in all a running consumer's message is kept from other consumers (at least the
    /// visibility timeout, at most SQS's 12 hours, the default). Past it the lease is no longer
    /// extended and SQS may hand the message out again.
    /// </summary>
    TimeSpan MaxVisibilityTimeout { set; }

    /// <summary>Subscribes this endpoint's queue to an SNS topic by name, besides those of its consumers' message types.</summary>
    void Subscribe(string topicName);
}
