using Sluice.MassTransit.AmazonSqs.Configuration;

namespace Sluice.MassTransit.AmazonSqs;

internal sealed class SqsBusTopology(SqsHostConfiguration hostConfiguration, SqsTopologyConfiguration configuration)
    : BusTopology(hostConfiguration, configuration);
