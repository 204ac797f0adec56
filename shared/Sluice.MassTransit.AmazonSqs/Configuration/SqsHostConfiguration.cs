using Amazon.Runtime;
using Sluice.Transports.AmazonSqs.Transport;

namespace Sluice.Transports.AmazonSqs.Configuration;

/// <summary>The host: its settings, its shared SQS/SNS connection, and the receive endpoints configured on it.</summary>
internal sealed class SqsHostConfiguration : BaseHostConfiguration<SqsReceiveEndpointConfiguration, ISqsReceiveEndpointConfigurator>
{
    private readonly SqsBusConfiguration _busConfiguration;
    private readonly SqsTopologyConfiguration _topology;
    private readonly Lazy<SqsConnection> _connection;
    private SqsHostSettings _settings = new();

    public SqsHostConfiguration(SqsBusConfiguration busConfiguration, SqsTopologyConfiguration topology)
        : base(busConfiguration)
    {
        _busConfiguration = busConfiguration;
        _topology = topology;
        BusTopology = new SqsBusTopology(this, topology);
        _connection = new Lazy<SqsConnection>(() => new SqsConnection(_settings));

        // A failed receive (network, throttling, an SQS outage) restarts the endpoint's transport
        // with growing pauses instead of faulting the bus.
        ReceiveTransportRetryPolicy = Retry.CreatePolicy(x =>
        {
            x.Handle<AmazonServiceException>();
            x.Handle<AmazonClientException>();
            x.Handle<SnsException>();
            x.Handle<HttpRequestException>();
            x.Exponential(1000, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500));
        });
    }

    public SqsHostSettings Settings
    {
        get => _settings;
        set
        {
            value.Validate();
            if (_connection.IsValueCreated)
            {
                throw new InvalidOperationException("The SQS host settings cannot change once the bus has connected.");
            }
            _settings = value;
            if (!string.IsNullOrEmpty(value.Scope))
            {
                _topology.Message.SetEntityNameFormatter(new PrefixEntityNameFormatter(_topology.Message.EntityNameFormatter, value.Scope + "_"));
            }
        }
    }

    public SqsConnection Connection => _connection.Value;

    public SqsTopologyConfiguration TopologyConfiguration => _topology;

    public bool IsConnected => _connection.IsValueCreated;

    public SqsBusTopology BusTopology { get; }

    public override Uri HostAddress => _settings.HostAddress;

    public override IBusTopology Topology => BusTopology;

    public override IRetryPolicy ReceiveTransportRetryPolicy { get; }

    public string ScopedQueueName(string name) => SqsEntityNames.WithScope(_settings.Scope, name);

    public SqsReceiveEndpointConfiguration CreateReceiveEndpointConfiguration(SqsReceiveSettings settings, SqsEndpointConfiguration endpointConfiguration,
        Action<ISqsReceiveEndpointConfigurator>? configure)
    {
        var configuration = new SqsReceiveEndpointConfiguration(this, settings, endpointConfiguration);
        configure?.Invoke(configuration);
        Observers.EndpointConfigured(configuration);
        Add(configuration);
        return configuration;
    }

    public SqsReceiveEndpointConfiguration CreateReceiveEndpointConfiguration(string queueName, Action<ISqsReceiveEndpointConfigurator>? configure) =>
        CreateReceiveEndpointConfiguration(new SqsReceiveSettings(ScopedQueueName(queueName), false), _busConfiguration.CreateEndpointConfiguration(), configure);

    public override IReceiveEndpointConfiguration CreateReceiveEndpointConfiguration(string queueName, Action<IReceiveEndpointConfigurator>? configure) =>
        CreateReceiveEndpointConfiguration(queueName, (Action<ISqsReceiveEndpointConfigurator>?)configure);

    public override void ReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<ISqsReceiveEndpointConfigurator>? configureEndpoint = null)
    {
        var queueName = definition.GetEndpointName(endpointNameFormatter ?? DefaultEndpointNameFormatter.Instance);
        ReceiveEndpoint(queueName, configurator =>
        {
            ApplyTemporary(configurator, definition);
            ApplyEndpointDefinition(configurator, definition);
            configureEndpoint?.Invoke(configurator);
        });
    }

    public override void ReceiveEndpoint(string queueName, Action<ISqsReceiveEndpointConfigurator>? configureEndpoint) =>
        CreateReceiveEndpointConfiguration(queueName, configureEndpoint);

    /// <summary>SQS has no auto-delete: a temporary endpoint's queue gets no error queue and is deleted when its endpoint stops.</summary>
    public static void ApplyTemporary(ISqsReceiveEndpointConfigurator configurator, IEndpointDefinition definition)
    {
        if (definition.IsTemporary && configurator is SqsReceiveEndpointConfiguration configuration)
        {
            configuration.Settings.AutoDelete = true;
        }
    }

    public new void ApplyEndpointDefinition(IReceiveEndpointConfigurator configurator, IEndpointDefinition definition) =>
        base.ApplyEndpointDefinition(configurator, definition);

    public override IHost Build()
    {
        var host = new SqsHost(this);
        foreach (var endpoint in GetConfiguredEndpoints())
        {
            endpoint.Build(host);
        }
        return host;
    }
}
