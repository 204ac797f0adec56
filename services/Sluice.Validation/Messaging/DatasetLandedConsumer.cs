using MassTransit;
using Microsoft.Extensions.Options;
using Sluice.Contracts.Messages;
using Sluice.DataQuality.Parsing;
using Sluice.ObjectStore;
using Sluice.Validation.Rulesets;
using Sluice.Validation.Storage;

namespace Sluice.Validation.Messaging;

/// <summary>
/// Evaluates the ruleset registered for a landed dataset's source on its parts and publishes
/// <see cref="DatasetValidated"/>. Every DatasetLanded gets an answer: without a ruleset it says
/// so (status NoRuleset, not passed); when the data cannot be read it says why (status Error).
/// Failures that are not about the data (e.g. an unreachable object store) are retried first
/// (<see cref="ValidationOptions.EvaluationRetryLimit"/>).
/// </summary>
internal sealed class DatasetLandedConsumer(
    RulesetRegistry rulesets,
    DatasetEvaluator evaluator,
    MetricHistory history,
    IOptions<ValidationOptions> options,
    TimeProvider time,
    ILogger<DatasetLandedConsumer> logger) : IConsumer<DatasetLanded>
{
    public async Task Consume(ConsumeContext<DatasetLanded> context)
    {
        var landed = context.Message;
        StoredRuleset? registered = null;
        DatasetValidated validated;
        try
        {
            registered = await rulesets.FindAsync(landed.Source, version: null, context.CancellationToken).ConfigureAwait(false);
            validated = registered is null
                ? NoRuleset(landed)
                : await ScoreAsync(landed, registered, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsAboutTheData(exception))
        {
            validated = Failure(landed, registered, exception.Message);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            var attempt = context.GetRetryAttempt();
            if (attempt < options.Value.EvaluationRetryLimit)
            {
                ValidationLog.EvaluationRetrying(logger, landed.JobId, landed.Source, attempt + 1, exception);
                throw; // The consumer's retry policy runs it again.
            }
            ValidationLog.EvaluationFailed(logger, landed.JobId, landed.Source, exception);
            validated = Failure(landed, registered, $"The dataset could not be evaluated: {exception.Message}");
        }
        validated = validated with { ObjectKeys = landed.ObjectKeys }; // The load reads the parts from here.
        ValidationLog.DatasetValidated(logger, validated.JobId, validated.Source, validated.Status.ToString(), validated.Score);
        await context.Publish(validated, context.CancellationToken).ConfigureAwait(false);
    }

    private async Task<DatasetValidated> ScoreAsync(DatasetLanded landed, StoredRuleset registered, CancellationToken cancellationToken)
    {
        var metricHistory = await history.LoadAsync(landed.Source, cancellationToken).ConfigureAwait(false);
        var references = await evaluator.ReferencesOfAsync(registered, cancellationToken).ConfigureAwait(false);
        var scorecard = await evaluator.EvaluateObjectsAsync(RulesetRegistry.Parse(registered), landed.ObjectKeys, landed.Source, cancellationToken, metricHistory,
            references).ConfigureAwait(false);
        await history.RecordAsync(landed.Source, scorecard, cancellationToken).ConfigureAwait(false);
        return new DatasetValidated
        {
            JobId = landed.JobId,
            Source = landed.Source,
            Status = DatasetValidationStatus.Scored,
            Passed = ScorecardMapping.Passed(scorecard),
            Score = scorecard.Score,
            RowCount = scorecard.RowCount,
            RulesetVersion = registered.Version,
            Rules = ScorecardMapping.ToMessage(scorecard),
            EvaluatedAt = time.GetUtcNow(),
        };
    }

    private DatasetValidated NoRuleset(DatasetLanded landed) => new()
    {
        JobId = landed.JobId,
        Source = landed.Source,
        Status = DatasetValidationStatus.NoRuleset,
        Passed = false,
        Error = $"No ruleset is registered for source '{landed.Source}'; register one with RegisterRuleset.",
        EvaluatedAt = time.GetUtcNow(),
    };

    /// <summary>Problems a retry cannot fix: a bad or missing key, a part that is not NDJSON, a stored ruleset that no longer parses.</summary>
    private static bool IsAboutTheData(Exception exception) =>
        exception is ObjectStoreException or InvalidDataException or DqdlParseException;

    private DatasetValidated Failure(DatasetLanded landed, StoredRuleset? registered, string error) => new()
    {
        JobId = landed.JobId,
        Source = landed.Source,
        Status = DatasetValidationStatus.Error,
        RulesetVersion = registered?.Version,
        Passed = false,
        Error = error,
        EvaluatedAt = time.GetUtcNow(),
    };
}
