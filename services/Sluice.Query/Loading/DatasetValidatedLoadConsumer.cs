using MassTransit;
using Microsoft.Extensions.Options;
using Sluice.Contracts.Messages;
using Sluice.ObjectStore;

namespace Sluice.Query.Loading;

/// <summary>
/// Loads a dataset that passed its ruleset and answers DatasetLoaded, or DatasetLoadFailed with
/// the reason; both carry the load statement's id when the load ran as a statement (DuckDB's
/// lake). Datasets that did not pass are not loaded (the ingestion job shows why). A failure that
/// is not about the data (the warehouse or the object store unavailable for a while, a write
/// conflict on the table) is retried Sluice:Query:Loading:RetryLimit times before the load is
/// reported failed.
/// </summary>
internal sealed class DatasetValidatedLoadConsumer(IDatasetLoader loader, TimeProvider time, IOptions<DatasetLoadingOptions> options) : IConsumer<DatasetValidated>
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
            var load = await loader.LoadAsync(validated.JobId, validated.Source, validated.ObjectKeys, context.CancellationToken).ConfigureAwait(false);
            await context.Publish(new DatasetLoaded
            {
                JobId = validated.JobId, Source = validated.Source, Table = load.Table, RowCount = load.Rows, StatementId = load.StatementId, LoadedAt = time.GetUtcNow(),
            }).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            if (!IsFinal(exception) && context.GetRetryAttempt() < options.Value.RetryLimit)
            {
                throw; // The consumer's retry policy loads it again.
            }
            await context.Publish(new DatasetLoadFailed
            {
                JobId = validated.JobId, Source = validated.Source, Error = exception.Message, StatementId = (exception as DatasetLoadException)?.StatementId,
                FailedAt = time.GetUtcNow(),
            }).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Failures a retry cannot mend: a record that is not an object, a field that cannot be a
    /// column, a value that does not fit its column, a part that does not exist.
    /// </summary>
    private static bool IsFinal(Exception exception) => exception switch
    {
        DatasetLoadException load => !load.Retryable,
        InvalidDataException or System.Text.Json.JsonException or ObjectNotFoundException => true,
        // DuckDB refusing the parts while detecting their columns (not JSON records, ...).
        DuckDB.NET.Data.DuckDBException => true,
        _ => false,
    };
}

/// <summary>Bounded concurrency for loads, and the retry policy of failures that are not about the data.</summary>
internal sealed class DatasetValidatedLoadConsumerDefinition : ConsumerDefinition<DatasetValidatedLoadConsumer>
{
    private readonly DatasetLoadingOptions _options;

    public DatasetValidatedLoadConsumerDefinition(IOptions<DatasetLoadingOptions> options)
    {
        _options = options.Value;
        ConcurrentMessageLimit = _options.MaxConcurrentLoads;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<DatasetValidatedLoadConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        if (_options.RetryLimit > 0)
        {
            consumerConfigurator.UseMessageRetry(retry => retry.Interval(_options.RetryLimit, _options.RetryInterval));
        }
    }
}
