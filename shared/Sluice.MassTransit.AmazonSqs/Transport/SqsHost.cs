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

    public async ValueTask DisposeConnectionAsync()
    {
        if (hostConfiguration.IsConnected)
        {
            await hostConfiguration.Connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
