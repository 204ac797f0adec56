using Sluice.DataQuality.Data;
using Sluice.DataQuality.Model;

namespace Sluice.DataQuality.Evaluation;

/// <summary>
/// Evaluates a ruleset over a dataset in one pass: every rule's metrics are accumulated while the rows
/// stream by, then each rule is judged. CustomSql statements run on the injected engine meanwhile. NDJSON
/// is evaluated by <see cref="EvaluationOptions.MaxDegreeOfParallelism"/> workers (the bytes are still read
/// once) whose accumulators are merged exactly, so the scorecard does not depend on the degree of parallelism.
/// Rules with a <c>where</c> clause are evaluated by one more pass per distinct clause over the rows the SQL engine
/// selects (<see cref="ICustomSqlRunner.SelectRowsAsync"/>).
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

        var main = new EvaluationPlan(options, options.TimeProvider.GetUtcNow());
        var filtered = new Dictionary<string, EvaluationPlan>(StringComparer.Ordinal);
        EvaluationPlan PlanFor(SimpleRule rule)
        {
            if (!Filters(rule))
            {
                return main;
            }
            if (!filtered.TryGetValue(rule.WhereClause!, out var plan))
            {
                plan = new EvaluationPlan(options, main.Now, main.Regexes);
                filtered.Add(rule.WhereClause!, plan);
            }
            return plan;
        }

        var evaluators = ruleset.Rules.Select(rule => RuleEvaluator.Create(rule, PlanFor)).ToList();
        var analyzers = ruleset.Analyzers.Select(analyzer => new SimpleRuleEvaluator(analyzer, PlanFor(analyzer), analyzer: true)).ToList();
        var simpleRules = ruleset.Rules.SelectMany(rule => rule.SimpleRules()).Concat(ruleset.Analyzers).ToList();

        using var customSqlCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        main.StartCustomSql(customSqlCancellation.Token);
        try
        {
            await PassAsync(main, simpleRules.Where(rule => !Filters(rule)).ToList(), dataset, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Do not leave statements running (or their failures unobserved) when the data cannot be read.
            await customSqlCancellation.CancelAsync().ConfigureAwait(false);
            try
            {
                await main.WaitForCustomSqlAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            throw;
        }
        await main.WaitForCustomSqlAsync().ConfigureAwait(false);

        foreach (var (clause, plan) in filtered)
        {
            await FilteredPassAsync(clause, plan, simpleRules.Where(rule => Filters(rule) && rule.WhereClause == clause).ToList(), cancellationToken).ConfigureAwait(false);
        }

        var results = evaluators.Select(evaluator => evaluator.Evaluate()).ToList();
        var analyzerResults = analyzers.Select(evaluator => evaluator.Evaluate())
            .Select(result => new AnalyzerResult(result.Rule, result.Metrics, result.Outcome == RuleOutcome.Error ? result.FailureMessage : null))
            .ToList();
        var passed = results.Count(result => result.Outcome == RuleOutcome.Passed);
        var score = results.Count == 0 ? 1.0 : passed / (double)results.Count;
        return new Scorecard(score, results, main.Facts.RowCount, analyzerResults);
    }

    /// <summary>A rule evaluated over the rows its where clause selects (a clause its type does not take makes it an Error instead).</summary>
    private static bool Filters(SimpleRule rule) => rule.WhereClause is not null && rule.Unsupported is null;

    /// <summary>Runs the where clause on the SQL engine and evaluates its rules over the rows it selects.</summary>
    private static async Task FilteredPassAsync(string clause, EvaluationPlan plan, List<SimpleRule> rules, CancellationToken cancellationToken)
    {
        var runner = plan.Options.CustomSqlRunner;
        if (runner is null)
        {
            plan.Error = "No SQL engine is configured to evaluate 'where' clauses";
            return;
        }
        DatasetSource rows;
        try
        {
            rows = await runner.SelectRowsAsync(clause, new CustomSqlContext(plan.Options.DatasetName), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            plan.Error = $"The where clause \"{clause}\" failed: {ex.Message}";
            return;
        }
        await PassAsync(plan, rules, rows, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One pass of <paramref name="dataset"/> into <paramref name="plan"/> (whose rules are <paramref name="rules"/>), with
    /// parallel workers whose plans register the same rules in the same order and are merged after the pass.
    /// </summary>
    private static async Task PassAsync(EvaluationPlan plan, List<SimpleRule> rules, DatasetSource dataset, CancellationToken cancellationToken)
    {
        var options = plan.Options;
        var processor = new RowProcessor(plan.Slots, plan.Hooks);
        var workerCount = dataset.CanReadInParallel ? options.MaxDegreeOfParallelism - 1 : 0;
        var workers = new List<(EvaluationPlan Plan, RowProcessor Processor)>(workerCount);
        for (var i = 0; i < workerCount; i++)
        {
            var workerPlan = new EvaluationPlan(options, plan.Now, plan.Regexes);
            foreach (var rule in rules)
            {
                _ = new SimpleRuleEvaluator(rule, workerPlan);
            }
            workers.Add((workerPlan, new RowProcessor(workerPlan.Slots, workerPlan.Hooks)));
        }
        List<RowProcessor> processors = [processor, .. workers.Select(worker => worker.Processor)];
        await dataset.ReadAsync(processors, options.BufferSize, cancellationToken).ConfigureAwait(false);
        foreach (var (workerPlan, workerProcessor) in workers)
        {
            plan.MergeFrom(workerPlan);
            processor.MergeFrom(workerProcessor);
        }
        plan.Facts = new DatasetFacts(processor.RowCount, processor.ColumnCount, processor.ColumnNames);
    }
}
