namespace Sluice.Transports.AmazonSqs.Configuration;

internal sealed class SqsBusFactoryConfigurator : BusFactoryConfigurator, ISqsBusFactoryConfigurator, IBusFactory
{
    private readonly SqsBusConfiguration _busConfiguration;
    private readonly SqsReceiveSettings _busEndpointSettings;

    public SqsBusFactoryConfigurator(SqsBusConfiguration busConfiguration)
        : base(busConfiguration)
    {
        _busConfiguration = busConfiguration;
        var queueName = busConfiguration.Topology.ConsumeTopology.CreateTemporaryQueueName("bus");
        _busEndpointSettings = new SqsReceiveSettings(queueName, autoDelete: true);
    }

    public void Host(SqsHostSettings settings) => _busConfiguration.HostConfiguration.Settings = settings;

    public void ReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<ISqsReceiveEndpointConfigurator>? configureEndpoint = null) =>
        _busConfiguration.HostConfiguration.ReceiveEndpoint(definition, endpointNameFormatter, configureEndpoint);

    public void ReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<IReceiveEndpointConfigurator>? configureEndpoint = null) =>
        _busConfiguration.HostConfiguration.ReceiveEndpoint(definition, endpointNameFormatter, configureEndpoint);

    public void ReceiveEndpoint(string queueName, Action<ISqsReceiveEndpointConfigurator> configureEndpoint) =>
        _busConfiguration.HostConfiguration.ReceiveEndpoint(queueName, configureEndpoint);

    public void ReceiveEndpoint(string queueName, Action<IReceiveEndpointConfigurator> configureEndpoint) =>
        _busConfiguration.HostConfiguration.ReceiveEndpoint(queueName, configureEndpoint);

    public IReceiveEndpointConfiguration CreateBusEndpointConfiguration(Action<IReceiveEndpointConfigurator> configure) =>
        _busConfiguration.HostConfiguration.CreateReceiveEndpointConfiguration(_busEndpointSettings, _busConfiguration.BusEndpointConfiguration, configure);
}

/// <summary>Builds the bus from the registration container (AddMassTransit + UsingSluiceAmazonSqs).</summary>
internal sealed class SqsRegistrationBusFactory : TransportRegistrationBusFactory<ISqsReceiveEndpointConfigurator>
{
    private readonly SqsBusConfiguration _busConfiguration;
    private readonly Action<IBusRegistrationContext, ISqsBusFactoryConfigurator>? _configure;

    public SqsRegistrationBusFactory(Action<IBusRegistrationContext, ISqsBusFactoryConfigurator>? configure)
        : this(new SqsBusConfiguration(new SqsTopologyConfiguration(SqsBusFactory.CreateMessageTopology())), configure)
    {
    }

    private SqsRegistrationBusFactory(SqsBusConfiguration busConfiguration, Action<IBusRegistrationContext, ISqsBusFactoryConfigurator>? configure)
        : base(busConfiguration.HostConfiguration)
    {
        _busConfiguration = busConfiguration;
        _configure = configure;
    }

    public override IBusInstance CreateBus(IBusRegistrationContext context, IEnumerable<IBusInstanceSpecification> specifications, string busName) =>
        CreateBus(new SqsBusFactoryConfigurator(_busConfiguration), context, _configure, specifications);
}
