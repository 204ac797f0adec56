using Sluice.Transports.AmazonSqs.Configuration;

namespace Sluice.Transports.AmazonSqs;

internal sealed class SqsBusTopology(SqsHostConfiguration hostConfiguration, SqsTopologyConfiguration configuration)
    : BusTopology(hostConfiguration, configuration);
