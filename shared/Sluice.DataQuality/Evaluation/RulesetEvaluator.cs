using Sluice.DataQuality.Data;
using Sluice.DataQuality.Filtering;
using Sluice.DataQuality.Model;

namespace Sluice.DataQuality.Evaluation;

/// <summary>
/// Evaluates a ruleset over a dataset in one pass: every rule's metrics are accumulated while the rows
/// stream by, then each rule is judged. CustomSql statements run on the injected engine meanwhile. NDJSON
/// is evaluated by <see cref="EvaluationOptions.MaxDegreeOfParallelism"/> workers (the bytes are still read
/// once) whose accumulators are merged exactly, so the scorecard does not depend on the degree of parallelism.
/// Rules with a <c>where</c> clause are evaluated in the same pass when the clause is in the subset
/// <see cref="WhereParser"/> reads and the data confirms DuckDB would type its columns alike; any other clause is run
/// on the SQL engine (<see cref="ICustomSqlRunner.SelectRowsAsync"/>) and its rules get one more pass over the rows it
/// selects. <see cref="Scorecard.WhereClauses"/> tells which way each clause went.
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
        // Per clause: compiled for the pass, or why the SQL engine runs it instead.
        var compiled = new Dictionary<string, WhereClause>(StringComparer.Ordinal);
        var onSqlEngine = new Dictionary<string, string>(StringComparer.Ordinal);
        EvaluationPlan PlanFor(SimpleRule rule)
        {
            if (!Filters(rule))
            {
                return main;
            }
            var clause = rule.WhereClause!;
            if (!filtered.TryGetValue(clause, out var plan))
            {
                plan = new EvaluationPlan(options, main.Now, main.Regexes);
                filtered.Add(clause, plan);
                if (!options.EvaluateWhereClausesInProcess)
                {
                    onSqlEngine.Add(clause, "evaluation in process is turned off");
                }
                else if (WhereParser.TryParse(clause, out var outside) is { } where)
                {
                    compiled.Add(clause, where);
                }
                else
                {
                    onSqlEngine.Add(clause, $"outside the subset evaluated in process: {outside}");
                }
            }
            return plan;
        }

        var evaluators = ruleset.Rules.Select(rule => RuleEvaluator.Create(rule, PlanFor)).ToList();
        var analyzers = ruleset.Analyzers.Select(analyzer => new SimpleRuleEvaluator(analyzer, PlanFor(analyzer), analyzer: true)).ToList();
        var simpleRules = ruleset.Rules.SelectMany(rule => rule.SimpleRules()).Concat(ruleset.Analyzers).ToList();
        var inProcess = compiled.Values.Select(clause => new FilteredRules(clause, filtered[clause.Text],
            simpleRules.Where(rule => Filters(rule) && rule.WhereClause == clause.Text).ToList())).ToList();

        using var customSqlCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        main.StartCustomSql(customSqlCancellation.Token);
        // The clauses outside the subset run on the SQL engine while the main pass reads the data.
        var selections = onSqlEngine.Keys.ToDictionary(clause => clause, clause => SelectAsync(clause, options, customSqlCancellation.Token), StringComparer.Ordinal);
        try
        {
            var fallBack = await PassAsync(main, simpleRules.Where(rule => !Filters(rule)).ToList(), inProcess, dataset, cancellationToken).ConfigureAwait(false);
            foreach (var (clause, reason) in fallBack)
            {
                // The data showed the in-process answer might differ from DuckDB's: the SQL engine decides.
                onSqlEngine.Add(clause, reason);
                selections.Add(clause, SelectAsync(clause, options, customSqlCancellation.Token));
            }
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
        if (selections.Count > 0)
        {
            var plans = onSqlEngine.Keys.ToDictionary(clause => clause, clause => filtered[clause], StringComparer.Ordinal);
            await FilteredPassAsync(plans, selections, dataset, main.Facts.RowCount, cancellationToken).ConfigureAwait(false);
        }

        var results = evaluators.Select(evaluator => evaluator.Evaluate()).ToList();
        var analyzerResults = analyzers.Select(evaluator => evaluator.Evaluate())
            .Select(result => new AnalyzerResult(result.Rule, result.Metrics, result.Outcome == RuleOutcome.Error ? result.FailureMessage : null))
            .ToList();
        var passed = results.Count(result => result.Outcome == RuleOutcome.Passed);
        var score = results.Count == 0 ? 1.0 : passed / (double)results.Count;
        var whereClauses = filtered.Keys.Select(clause => new WhereClauseEvaluation(clause, !onSqlEngine.ContainsKey(clause), onSqlEngine.GetValueOrDefault(clause))).ToList();
        return new Scorecard(score, results, main.Facts.RowCount, analyzerResults, whereClauses);
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
    /// parallel workers whose plans register the same rules in the same order and are merged after the pass. The
    /// <paramref name="filters"/> are evaluated on every row of the same pass, each worker feeding its own plans of them;
    /// those are merged into the clause's plan only if the data confirms the answer (see <see cref="RowFilters"/>).
    /// Returns the clauses it could not confirm, with the reason.
    /// </summary>
    private static async Task<Dictionary<string, string>> PassAsync(EvaluationPlan plan, List<SimpleRule> rules, List<FilteredRules> filters,
        DatasetSource dataset, CancellationToken cancellationToken)
    {
        var options = plan.Options;
        var workerCount = dataset.CanReadInParallel ? options.MaxDegreeOfParallelism - 1 : 0;
        var workers = new List<(EvaluationPlan Plan, RowProcessor Processor, RowFilters? Filters, List<EvaluationPlan> FilterPlans)>(workerCount + 1);
        for (var i = 0; i <= workerCount; i++)
        {
            var workerPlan = plan;
            if (i > 0)
            {
                workerPlan = new EvaluationPlan(options, plan.Now, plan.Regexes);
                foreach (var rule in rules)
                {
                    _ = new SimpleRuleEvaluator(rule, workerPlan);
                }
            }
            var filterPlans = filters.Select(filter =>
            {
                var filterPlan = new EvaluationPlan(options, plan.Now, plan.Regexes);
                foreach (var rule in filter.Rules)
                {
                    _ = new SimpleRuleEvaluator(rule, filterPlan);
                }
                return filterPlan;
            }).ToList();
            var rowFilters = filters.Count == 0 ? null : new RowFilters([.. filters.Select((filter, index) => (filter.Clause, filterPlans[index]))]);
            workers.Add((workerPlan, new RowProcessor(workerPlan.Slots, workerPlan.Hooks, rowFilters), rowFilters, filterPlans));
        }
        var processor = workers[0].Processor;
        await dataset.ReadAsync([.. workers.Select(worker => worker.Processor)], options.BufferSize, cancellationToken).ConfigureAwait(false);
        foreach (var (workerPlan, workerProcessor, _, _) in workers.Skip(1))
        {
            plan.MergeFrom(workerPlan);
            processor.MergeFrom(workerProcessor);
        }
        plan.Facts = new DatasetFacts(processor.RowCount, processor.ColumnCount, processor.ColumnNames);
        if (filters.Count == 0)
        {
            return [];
        }

        var unconfirmed = RowFilters.WhyNotInProcess([.. workers.Select(worker => worker.Filters!)]);
        for (var f = 0; f < filters.Count; f++)
        {
            var filter = filters[f];
            if (unconfirmed.ContainsKey(filter.Clause.Text))
            {
                continue;
            }
            long selected = 0;
            foreach (var worker in workers)
            {
                filter.Plan.MergeFrom(worker.FilterPlans[f]);
                selected += worker.Filters!.SelectedRows(f);
            }
            filter.Plan.Facts = new DatasetFacts(selected, processor.ColumnCount, processor.ColumnNames);
        }
        return unconfirmed;
    }

    /// <summary>A where clause evaluated in the pass, the plan its rules were registered on, and those rules in registration order.</summary>
    private sealed record FilteredRules(WhereClause Clause, EvaluationPlan Plan, List<SimpleRule> Rules);
}
