using MassTransit.Util;
using Sluice.Transports.AmazonSqs.Configuration;

namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>What one receive endpoint's consumer, send and publish transports share.</summary>
internal sealed class SqsReceiveEndpointContext : BaseReceiveEndpointContext
{
    private readonly SqsHostConfiguration _hostConfiguration;
    private readonly Recycle<ClientContextSupervisor> _supervisor;

    public SqsReceiveEndpointContext(SqsHostConfiguration hostConfiguration, IReceiveEndpointConfiguration configuration, SqsReceiveSettings settings)
        : base(hostConfiguration, configuration)
    {
        _hostConfiguration = hostConfiguration;
        Settings = settings;
        _supervisor = new Recycle<ClientContextSupervisor>(() => new ClientContextSupervisor(() => hostConfiguration.Connection));
    }

    public SqsReceiveSettings Settings { get; }

    public SqsHostConfiguration HostConfiguration => _hostConfiguration;

    /// <summary>The endpoint's queue, once its topology is deployed.</summary>
    public QueueInfo? Queue { get; set; }

    public ClientContextSupervisor ClientContextSupervisor => _supervisor.Supervisor;

    public override void AddSendAgent(IAgent agent) => _supervisor.Supervisor.AddSendAgent(agent);

    public override void AddConsumeAgent(IAgent agent) => _supervisor.Supervisor.AddConsumeAgent(agent);

    public override Exception ConvertException(Exception exception, string message) =>
        new ConnectionException($"{message} (SQS {_hostConfiguration.Settings.ServiceUrl?.ToString() ?? _hostConfiguration.Settings.Region})", exception);

    public override void Probe(ProbeContext context)
    {
        context.Add("type", "Sluice.AmazonSQS");
        context.Set(new { Settings.QueueName, Settings.PrefetchCount, Settings.ConcurrentMessageLimit, Settings.WaitTimeSeconds, Settings.VisibilityTimeout });
    }

    protected override ISendTransportProvider CreateSendTransportProvider() => new SqsSendTransportProvider(this);

    protected override IPublishTransportProvider CreatePublishTransportProvider() => new SqsPublishTransportProvider(this);
}

/// <summary>Send transports for queue and topic addresses, on the endpoint's client context.</summary>
internal sealed class SqsSendTransportProvider(SqsReceiveEndpointContext context) : ISendTransportProvider
{
    public Uri NormalizeAddress(Uri address) => Resolve(address).ToUri();

    public Task<ISendTransport> GetSendTransport(Uri address)
    {
        var endpoint = Resolve(address);
        return Task.FromResult(SqsSendTransportContext.CreateTransport(context, endpoint.Name, endpoint.IsTopic));
    }

    // Short "queue:name" addresses are relative to the host's scope; full addresses are already scoped.
    private SqsEndpointAddress Resolve(Uri address)
    {
        var endpoint = SqsEndpointAddress.Parse(context.HostConfiguration.HostAddress, address);
        return address.Scheme.Equals("queue", StringComparison.OrdinalIgnoreCase)
            ? endpoint with { Name = context.HostConfiguration.ScopedQueueName(endpoint.Name) }
            : endpoint;
    }
}

/// <summary>Publish transports: one SNS topic per message type.</summary>
internal sealed class SqsPublishTransportProvider(SqsReceiveEndpointContext context) : IPublishTransportProvider
{
    public Task<ISendTransport> GetPublishTransport<T>(Uri? publishAddress) where T : class =>
        Task.FromResult(SqsSendTransportContext.CreateTransport(context, context.HostConfiguration.TopologyConfiguration.PublishTopology.GetTopicName<T>(), true));
}
