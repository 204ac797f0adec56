using Sluice.DataQuality.Data;
using Sluice.DataQuality.Model;

namespace Sluice.DataQuality.Evaluation;

/// <summary>
/// Evaluates a ruleset over a dataset in one pass: every rule's metrics are accumulated while the rows
/// stream by, then each rule is judged. CustomSql statements run on the injected engine meanwhile.
/// </summary>
public static class RulesetEvaluator
{
    /// <summary>Evaluates <paramref name="ruleset"/> over <paramref name="dataset"/>.</summary>
    /// <param name="ruleset">Rules from <see cref="Parsing.DqdlParser.Parse"/>.</param>
    /// <param name="dataset">NDJSON parts or inline rows; read once.</param>
    /// <param name="options">Defaults to <see cref="EvaluationOptions"/>' defaults (no CustomSql runner).</param>
    /// <param name="cancellationToken">Stops reading and pending CustomSql.</param>
    /// <exception cref="InvalidDataException">A line of the dataset is not a JSON object; the message names part and line.</exception>
    public static async Task<Scorecard> EvaluateAsync(Ruleset ruleset, DatasetSource dataset, EvaluationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ruleset);
        ArgumentNullException.ThrowIfNull(dataset);
        options ??= new EvaluationOptions();

        var plan = new EvaluationPlan(options, options.TimeProvider.GetUtcNow());
        var evaluators = ruleset.Rules.Select(rule => RuleEvaluator.Create(rule, plan)).ToList();
        var processor = new Data.RowProcessor(plan.Slots, plan.Hooks);

        using var customSqlCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        plan.StartCustomSql(customSqlCancellation.Token);
        try
        {
            await dataset.ReadAsync(processor, options.BufferSize, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Do not leave statements running (or their failures unobserved) when the data cannot be read.
            await customSqlCancellation.CancelAsync().ConfigureAwait(false);
            try
            {
                await plan.WaitForCustomSqlAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            throw;
        }
        await plan.WaitForCustomSqlAsync().ConfigureAwait(false);

        var facts = new DatasetFacts(processor.RowCount, processor.ColumnCount);
        var results = evaluators.Select(evaluator => evaluator.Evaluate(facts)).ToList();
        var passed = results.Count(result => result.Outcome == RuleOutcome.Passed);
        var score = results.Count == 0 ? 1.0 : passed / (double)results.Count;
        return new Scorecard(score, results, processor.RowCount);
    }
}
