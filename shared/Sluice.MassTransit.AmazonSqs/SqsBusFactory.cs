using Sluice.Transports.AmazonSqs.Configuration;

namespace Sluice.Transports.AmazonSqs;

/// <summary>Selects Sluice's Amazon SQS transport for a MassTransit bus.</summary>
public static class SqsBusFactory
{
    /// <summary>
    /// Uses Amazon SQS (queues) and SNS (topics) as the bus's transport. Configure the host with
    /// <see cref="ISqsBusFactoryConfigurator.Host"/> and the endpoints with ConfigureEndpoints, as
    /// on MassTransit's own transports.
    /// </summary>
    public static void UsingSluiceAmazonSqs(this IBusRegistrationConfigurator configurator,
        Action<IBusRegistrationContext, ISqsBusFactoryConfigurator>? configure = null) =>
        configurator.SetBusFactory(new SqsRegistrationBusFactory(configure));

    internal static IMessageTopologyConfigurator CreateMessageTopology() =>
        new global::MassTransit.Topology.MessageTopology(new MessageNameFormatterEntityNameFormatter(new SqsMessageNameFormatter()));
}
