using MassTransit.Observables;

namespace Sluice.Transports.AmazonSqs.Configuration;

internal class SqsEndpointConfiguration : EndpointConfiguration
{
    public SqsEndpointConfiguration(SqsTopologyConfiguration topology)
        : base(topology)
    {
        Topology = topology;
    }

    private SqsEndpointConfiguration(IEndpointConfiguration parent, SqsTopologyConfiguration topology, bool isBusEndpoint)
        : base(parent, topology, isBusEndpoint)
    {
        Topology = topology;
    }

    public new SqsTopologyConfiguration Topology { get; }

    public SqsEndpointConfiguration CreateEndpointConfiguration(bool isBusEndpoint = false) =>
        new(this, new SqsTopologyConfiguration(Topology), isBusEndpoint);
}

internal sealed class SqsBusConfiguration : SqsEndpointConfiguration, IBusConfiguration
{
    private readonly BusObservable _busObservers = new();

    public SqsBusConfiguration(SqsTopologyConfiguration topology)
        : base(topology)
    {
        HostConfiguration = new SqsHostConfiguration(this, topology);
        BusEndpointConfiguration = CreateEndpointConfiguration(true);
    }

    public SqsHostConfiguration HostConfiguration { get; }

    public SqsEndpointConfiguration BusEndpointConfiguration { get; }

    IHostConfiguration IBusConfiguration.HostConfiguration => HostConfiguration;

    IEndpointConfiguration IBusConfiguration.BusEndpointConfiguration => BusEndpointConfiguration;

    IBusObserver IBusConfiguration.BusObservers => _busObservers;

    public ConnectHandle ConnectBusObserver(IBusObserver observer) => _busObservers.Connect(observer);

    public ConnectHandle ConnectEndpointConfigurationObserver(IEndpointConfigurationObserver observer) =>
        HostConfiguration.ConnectEndpointConfigurationObserver(observer);
}
