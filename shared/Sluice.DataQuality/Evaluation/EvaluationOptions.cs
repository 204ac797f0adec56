namespace Sluice.DataQuality.Evaluation;

/// <summary>Settings of one evaluation.</summary>
public sealed class EvaluationOptions
{
    /// <summary>Runs CustomSql rules. Defaults to null: CustomSql rules then end in <see cref="RuleOutcome.Error"/>.</summary>
    public ICustomSqlRunner? CustomSqlRunner { get; init; }

    /// <summary>The table <c>primary</c> stands for in CustomSql. Defaults to <c>"primary"</c>.</summary>
    public string DatasetName { get; init; } = "primary";

    /// <summary>Source of <c>now()</c> for date expressions and DataFreshness. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Initial size of the pooled read buffer; it grows only for longer lines. Defaults to 1 MiB.</summary>
    public int BufferSize { get; init; } = 1 << 20;

    /// <summary>
    /// How many threads evaluate rows of an NDJSON dataset at once. The data is still read once, in order; line-aligned
    /// chunks of it are spread over that many workers with their own accumulators, merged exactly after the pass, so
    /// the scorecard is the same as with 1 (sequential). Inline rows are always evaluated sequentially.
    /// Defaults to <see cref="Environment.ProcessorCount"/>; must be at least 1.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Earlier values of each rule's metric for dynamic rules (<c>RowCount &gt; avg(last(10))</c>). Defaults to null:
    /// dynamic rules then end in <see cref="RuleOutcome.Error"/> (no history).
    /// </summary>
    public IMetricHistory? MetricHistory { get; init; }

    /// <summary>
    /// Whether <c>where</c> clauses in the subset Sluice models (comparisons, AND/OR/NOT, IN, IS NULL, LIKE, BETWEEN,
    /// arithmetic on columns and literals) are evaluated in the main pass, as DuckDB would answer them; the others, and
    /// all of them when false, run on <see cref="CustomSqlRunner"/>. Defaults to true.
    /// </summary>
    public bool EvaluateWhereClausesInProcess { get; init; } = true;

    /// <summary>Longest time one regular-expression match may take before the rule ends in Error. Defaults to 1 second.</summary>
    public TimeSpan RegexMatchTimeout { get; init; } = TimeSpan.FromSeconds(1);
}
