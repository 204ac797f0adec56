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
        // The where clauses run on the SQL engine while the main pass reads the data.
        var selections = filtered.Keys.ToDictionary(clause => clause, clause => SelectAsync(clause, options, customSqlCancellation.Token), StringComparer.Ordinal);
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
                await Task.WhenAll(selections.Values).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            throw;
        }
        await main.WaitForCustomSqlAsync().ConfigureAwait(false);
        if (filtered.Count > 0)
        {
            await FilteredPassAsync(filtered, selections, dataset, main.Facts.RowCount, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Runs a where clause on the SQL engine; a failure is kept as the message its rules end with.</summary>
    private static async Task<(RowSelection? Selection, string? Error)> SelectAsync(string clause, EvaluationOptions options, CancellationToken cancellationToken)
    {
        if (options.CustomSqlRunner is not { } runner)
        {
            return (null, "No SQL engine is configured to evaluate 'where' clauses");
        }
        try
        {
            var selection = await runner.SelectRowsAsync(clause, new CustomSqlContext(options.DatasetName), cancellationToken).ConfigureAwait(false);
            return (selection, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (null, $"The where clause \"{clause}\" failed: {ex.Message}");
        }
    }

    /// <summary>
    /// Reads the dataset once more, in order, handing each row to the plans of the where clauses that selected it.
    /// </summary>
    private static async Task FilteredPassAsync(Dictionary<string, EvaluationPlan> plans, Dictionary<string, Task<(RowSelection? Selection, string? Error)>> selections,
        DatasetSource dataset, long rowCount, CancellationToken cancellationToken)
    {
        var targets = new List<SelectedRows.Target>();
        foreach (var (clause, plan) in plans)
        {
            var (selection, error) = await selections[clause].ConfigureAwait(false);
            if (error is null && selection!.RowCount != rowCount)
            {
                error = $"The SQL engine's copy of the dataset holds {selection.RowCount} rows, the dataset {rowCount}; the where clause \"{clause}\" cannot be applied";
            }
            if (error is null && !dataset.CanReread)
            {
                error = "The dataset cannot be read a second time for the rules with where clauses";
            }
            if (error is not null)
            {
                plan.Error = error;
                continue;
            }
            var positions = selection!.Positions;
            for (var i = 1; i < positions.Length; i++)
            {
                if (positions[i] <= positions[i - 1])
                {
                    positions = [.. positions.Distinct().Order()];
                    break;
                }
            }
            targets.Add(new SelectedRows.Target(plan, new RowProcessor(plan.Slots, plan.Hooks), positions));
        }
        if (targets.Count == 0)
        {
            return;
        }
        await dataset.ReadSequentiallyAsync(new SelectedRows(targets), plans.Values.First().Options.BufferSize, cancellationToken).ConfigureAwait(false);
        foreach (var target in targets)
        {
            target.Plan.Facts = new DatasetFacts(target.Processor.RowCount, target.Processor.ColumnCount, target.Processor.ColumnNames);
        }
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
