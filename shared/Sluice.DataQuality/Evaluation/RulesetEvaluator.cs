using Sluice.DataQuality.Data;
using Sluice.DataQuality.Model;

namespace Sluice.DataQuality.Evaluation;

/// <summary>
/// Evaluates a ruleset over a dataset in one pass: every rule's metrics are accumulated while the rows
/// stream by, then each rule is judged. CustomSql statements run on the injected engine meanwhile. NDJSON
/// is evaluated by <see cref="EvaluationOptions.MaxDegreeOfParallelism"/> workers (the bytes are still read
/// once) whose accumulators are merged exactly, so the scorecard does not depend on the degree of parallelism.
/// </summary>
public static class RulesetEvaluator
{
    /// <summary>Evaluates <paramref name="ruleset"/> over <paramref name="dataset"/>.</summary>
    /// <param name="ruleset">Rules from <see cref="Parsing.DqdlParser.Parse"/>.</param>
    /// <param name="dataset">NDJSON parts or inline rows; read once.</param>
    /// <param name="options">Defaults to <see cref="EvaluationOptions"/>' defaults (no CustomSql runner).</param>
    /// <param name="cancellationToken">Stops reading and pending CustomSql.</param>
    /// <exception cref="InvalidDataException">A line of the dataset is not a JSON object; the message names part and line
    /// (the first such line in file order, also when evaluating in parallel).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="EvaluationOptions.MaxDegreeOfParallelism"/> is below 1.</exception>
    public static async Task<Scorecard> EvaluateAsync(Ruleset ruleset, DatasetSource dataset, EvaluationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ruleset);
        ArgumentNullException.ThrowIfNull(dataset);
        options ??= new EvaluationOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxDegreeOfParallelism, 1, $"{nameof(options)}.{nameof(EvaluationOptions.MaxDegreeOfParallelism)}");

        var plan = new EvaluationPlan(options, options.TimeProvider.GetUtcNow());
        var evaluators = ruleset.Rules.Select(rule => RuleEvaluator.Create(rule, plan)).ToList();
        var processor = new Data.RowProcessor(plan.Slots, plan.Hooks);
        var workers = CreateWorkers(ruleset, plan, dataset.CanReadInParallel ? options.MaxDegreeOfParallelism - 1 : 0);
        List<Data.RowProcessor> processors = [processor, .. workers.Select(worker => worker.Processor)];

        using var customSqlCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        plan.StartCustomSql(customSqlCancellation.Token);
        try
        {
            await dataset.ReadAsync(processors, options.BufferSize, cancellationToken).ConfigureAwait(false);
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
        foreach (var (workerPlan, workerProcessor) in workers)
        {
            plan.MergeFrom(workerPlan);
            processor.MergeFrom(workerProcessor);
        }

        var facts = new DatasetFacts(processor.RowCount, processor.ColumnCount);
        var results = evaluators.Select(evaluator => evaluator.Evaluate(facts)).ToList();
        var passed = results.Count(result => result.Outcome == RuleOutcome.Passed);
        var score = results.Count == 0 ? 1.0 : passed / (double)results.Count;
        return new Scorecard(score, results, processor.RowCount);
    }

    /// <summary>
    /// Plans for parallel workers: the same rules registered on a fresh plan give the same columns and metrics in the
    /// same order, each with its own accumulators. Only the main plan runs CustomSql and judges rules.
    /// </summary>
    private static List<(EvaluationPlan Plan, Data.RowProcessor Processor)> CreateWorkers(Ruleset ruleset, EvaluationPlan main, int count)
    {
        var workers = new List<(EvaluationPlan, Data.RowProcessor)>(count);
        for (var i = 0; i < count; i++)
        {
            var plan = new EvaluationPlan(main.Options, main.Now, main.Regexes);
            foreach (var rule in ruleset.Rules)
            {
                RuleEvaluator.Create(rule, plan);
            }
            workers.Add((plan, new Data.RowProcessor(plan.Slots, plan.Hooks)));
        }
        return workers;
    }
}
