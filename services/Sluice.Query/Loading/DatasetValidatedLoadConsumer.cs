using MassTransit;
using Microsoft.Extensions.Options;
using Sluice.Contracts.Messages;

namespace Sluice.Query.Loading;

/// <summary>
/// Loads a dataset that passed its ruleset and answers DatasetLoaded, or DatasetLoadFailed with
/// the reason. Datasets that did not pass are not loaded (the ingestion job shows why).
/// </summary>
internal sealed class DatasetValidatedLoadConsumer(DatasetLoader loader, TimeProvider time) : IConsumer<DatasetValidated>
{
    public async Task Consume(ConsumeContext<DatasetValidated> context)
    {
        var validated = context.Message;
        if (!validated.Passed)
        {
            return;
        }
        try
        {
            var (table, rows) = await loader.LoadAsync(validated.JobId, validated.Source, validated.ObjectKeys, context.CancellationToken).ConfigureAwait(false);
            await context.Publish(new DatasetLoaded { JobId = validated.JobId, Source = validated.Source, Table = table, RowCount = rows, LoadedAt = time.GetUtcNow() }).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            await context.Publish(new DatasetLoadFailed { JobId = validated.JobId, Source = validated.Source, Error = exception.Message, FailedAt = time.GetUtcNow() }).ConfigureAwait(false);
        }
    }
}

/// <summary>Bounded concurrency for loads.</summary>
internal sealed class DatasetValidatedLoadConsumerDefinition : ConsumerDefinition<DatasetValidatedLoadConsumer>
{
    public DatasetValidatedLoadConsumerDefinition(IOptions<DatasetLoadingOptions> options) => ConcurrentMessageLimit = options.Value.MaxConcurrentLoads;
}
