using MassTransit;
using Microsoft.Extensions.Options;

namespace Sluice.Validation.Messaging;

/// <summary>Endpoint settings of <see cref="DatasetLandedConsumer"/>: bounded concurrency and the retry policy.</summary>
internal sealed class DatasetLandedConsumerDefinition : ConsumerDefinition<DatasetLandedConsumer>
{
    private readonly ValidationOptions _options;

    public DatasetLandedConsumerDefinition(IOptions<ValidationOptions> options)
    {
        _options = options.Value;
        ConcurrentMessageLimit = Math.Max(1, _options.MaxConcurrentEvaluations);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<DatasetLandedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        if (_options.EvaluationRetryLimit > 0)
        {
            consumerConfigurator.UseMessageRetry(retry => retry.Interval(_options.EvaluationRetryLimit, _options.EvaluationRetryInterval));
        }
    }
}
