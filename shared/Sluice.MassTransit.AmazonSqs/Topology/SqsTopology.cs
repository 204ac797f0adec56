using MassTransit.Topology;

namespace Sluice.Transports.AmazonSqs;

/// <summary>The transport's topology configuration: MassTransit's send topology, SNS publish and SQS consume topologies.</summary>
internal sealed class SqsTopologyConfiguration : ITopologyConfiguration
{
    public SqsTopologyConfiguration(IMessageTopologyConfigurator messageTopology)
    {
        Message = messageTopology;
        Send = new SendTopology();
        Send.ConnectSendTopologyConfigurationObserver(new DelegateSendTopologyConfigurationObserver(GlobalTopology.Send));
        PublishTopology = new SqsPublishTopology(messageTopology);
        PublishTopology.ConnectPublishTopologyConfigurationObserver(new DelegatePublishTopologyConfigurationObserver(GlobalTopology.Publish));
        PublishTopology.ConnectPublishTopologyConfigurationObserver(new PublishToSendTopologyConfigurationObserver(Send));
        ConsumeTopology = new SqsConsumeTopology(messageTopology);
    }

    /// <summary>A receive endpoint's copy: shares send and publish, has its own consume topology.</summary>
    public SqsTopologyConfiguration(SqsTopologyConfiguration parent)
    {
        Message = parent.Message;
        Send = parent.Send;
        PublishTopology = parent.PublishTopology;
        ConsumeTopology = new SqsConsumeTopology(parent.Message);
    }

    public IMessageTopologyConfigurator Message { get; }

    public ISendTopologyConfigurator Send { get; }

    public SqsPublishTopology PublishTopology { get; }

    public SqsConsumeTopology ConsumeTopology { get; }

    IPublishTopologyConfigurator ITopologyConfiguration.Publish => PublishTopology;

    IConsumeTopologyConfigurator ITopologyConfiguration.Consume => ConsumeTopology;

    public IEnumerable<ValidationResult> Validate() => Send.Validate().Concat(PublishTopology.Validate()).Concat(ConsumeTopology.Validate());
}

/// <summary>One SNS topic per published message type, named by the message topology's entity name.</summary>
internal sealed class SqsPublishTopology(IMessageTopology messageTopology) : PublishTopology
{
    public string GetTopicName<T>() where T : class => ((SqsMessagePublishTopology<T>)GetMessageTopology<T>()).TopicName;

    protected override IMessagePublishTopologyConfigurator CreateMessageTopology<T>()
    {
        var topology = new SqsMessagePublishTopology<T>(this, messageTopology.GetMessageTopology<T>());
        OnMessageTopologyCreated(topology);
        return topology;
    }
}

internal sealed class SqsMessagePublishTopology<TMessage>(IPublishTopology publishTopology, IMessageTopology<TMessage> messageTopology)
    : MessagePublishTopology<TMessage>(publishTopology)
    where TMessage : class
{
    public string TopicName => messageTopology.EntityName;

    public override bool TryGetPublishAddress(Uri baseAddress, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? publishAddress)
    {
        publishAddress = new SqsEndpointAddress(baseAddress, TopicName, true).ToUri();
        return true;
    }
}

/// <summary>
/// Consume topology of one receive endpoint: the topics its queue subscribes to, one per message
/// type its consumers and sagas take (ConfigureEndpoints), plus topics named explicitly.
/// </summary>
internal sealed class SqsConsumeTopology(IMessageTopology messageTopology) : ConsumeTopology(SqsEntityNames.MaxQueueNameLength - 10)
{
    private readonly HashSet<string> _explicitTopics = new(StringComparer.Ordinal);

    public void Subscribe<T>() where T : class => ((SqsMessageConsumeTopology<T>)GetMessageTopology<T>()).Subscribe();

    public void Subscribe(string topicName) => _explicitTopics.Add(topicName);

    public IEnumerable<string> GetTopicNames()
    {
        var names = new HashSet<string>(_explicitTopics, StringComparer.Ordinal);
        ForEach<ISqsMessageConsumeTopology>(t =>
        {
            if (t.SubscribedTopic is { } topic)
            {
                names.Add(topic);
            }
        });
        return names;
    }

    public override string CreateTemporaryQueueName(string tag) =>
        SqsEntityNames.Sanitize(base.CreateTemporaryQueueName(tag), SqsEntityNames.MaxQueueNameLength - 10);

    protected override IMessageConsumeTopologyConfigurator CreateMessageTopology<T>()
    {
        var topology = new SqsMessageConsumeTopology<T>(messageTopology.GetMessageTopology<T>());
        OnMessageTopologyCreated(topology);
        return topology;
    }
}

internal interface ISqsMessageConsumeTopology
{
    string? SubscribedTopic { get; }
}

internal sealed class SqsMessageConsumeTopology<TMessage>(IMessageTopology<TMessage> messageTopology)
    : MessageConsumeTopology<TMessage>, ISqsMessageConsumeTopology
    where TMessage : class
{
    public string? SubscribedTopic { get; private set; }

    public void Subscribe()
    {
        // Interfaces and classes alike get a topic; only types MassTransit will not bind are skipped.
        if (IsBindableMessageType)
        {
            SubscribedTopic = messageTopology.EntityName;
        }
    }
}
