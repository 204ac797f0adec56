using MassTransit.Middleware;
using Sluice.Transports.AmazonSqs.Configuration;

namespace Sluice.Transports.AmazonSqs.Transport;

internal sealed class SqsHost(SqsHostConfiguration hostConfiguration)
    : BaseHost(hostConfiguration, hostConfiguration.BusTopology), IHost<ISqsReceiveEndpointConfigurator>
{
    public override HostReceiveEndpointHandle ConnectReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<IReceiveEndpointConfigurator>? configureEndpoint = null) =>
        ConnectReceiveEndpoint(definition, endpointNameFormatter, (Action<ISqsReceiveEndpointConfigurator>?)configureEndpoint);

    public override HostReceiveEndpointHandle ConnectReceiveEndpoint(string queueName, Action<IReceiveEndpointConfigurator>? configureEndpoint = null) =>
        ConnectReceiveEndpoint(queueName, (Action<ISqsReceiveEndpointConfigurator>?)configureEndpoint);

    public HostReceiveEndpointHandle ConnectReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<ISqsReceiveEndpointConfigurator>? configureEndpoint = null)
    {
        var queueName = definition.GetEndpointName(endpointNameFormatter ?? DefaultEndpointNameFormatter.Instance);
        return ConnectReceiveEndpoint(queueName, configurator =>
        {
            SqsHostConfiguration.ApplyTemporary(configurator, definition);
            hostConfiguration.ApplyEndpointDefinition(configurator, definition);
            configureEndpoint?.Invoke(configurator);
        });
    }

    public HostReceiveEndpointHandle ConnectReceiveEndpoint(string queueName, Action<ISqsReceiveEndpointConfigurator>? configure = null)
    {
        LogContext.SetCurrentIfNull(hostConfiguration.LogContext);
        var configuration = hostConfiguration.CreateReceiveEndpointConfiguration(queueName, configure);
        configuration.Validate().ThrowIfContainsFailure("The receive endpoint configuration is invalid:");
        configuration.Build(this);
        return ReceiveEndpoints.Start(configuration.Settings.QueueName);
    }

    protected override void Probe(ProbeContext context) =>
        context.Set(new { Type = "Sluice.AmazonSQS", hostConfiguration.Settings.Region, ServiceUrl = hostConfiguration.Settings.ServiceUrl?.ToString() });

    // Stopped by BaseHost.Stop after the receive endpoints: nothing uses the clients any more.
    protected override IAgent[] GetAgentHandles() => [new ConnectionRelease(hostConfiguration)];

    /// <summary>Releases the host's SQS and SNS clients when the bus stops.</summary>
    private sealed class ConnectionRelease : Agent
    {
        private readonly SqsHostConfiguration _hostConfiguration;

        public ConnectionRelease(SqsHostConfiguration hostConfiguration)
        {
            _hostConfiguration = hostConfiguration;
            SetReady();
        }

        protected override async Task StopAgent(StopContext context)
        {
            await _hostConfiguration.ReleaseConnectionAsync().ConfigureAwait(false);
            await base.StopAgent(context).ConfigureAwait(false);
        }
    }
}
