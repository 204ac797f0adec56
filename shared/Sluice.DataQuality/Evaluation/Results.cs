namespace Sluice.DataQuality.Evaluation;

/// <summary>The outcome of one rule.</summary>
public enum RuleOutcome
{
    /// <summary>The data satisfies the rule.</summary>
    Passed,
    /// <summary>The data does not satisfy the rule (including a missing column).</summary>
    Failed,
    /// <summary>The rule could not be evaluated, e.g. the custom SQL failed or the rule uses an unsupported feature.</summary>
    Error,
}

/// <summary>The result of one rule of a ruleset.</summary>
public sealed class RuleResult
{
    /// <summary>Creates a result.</summary>
    public RuleResult(string rule, RuleOutcome outcome, IReadOnlyDictionary<string, double> metrics, string? failureMessage,
        IReadOnlyList<RuleResult>? children = null)
    {
        Rule = rule;
        Outcome = outcome;
        Metrics = metrics;
        FailureMessage = failureMessage;
        Children = children ?? [];
    }

    /// <summary>The rule as written in the ruleset.</summary>
    public string Rule { get; }
    /// <summary>Passed, Failed or Error.</summary>
    public RuleOutcome Outcome { get; }
    /// <summary>Measured metrics named as Glue names them, e.g. <c>Column.amount.Completeness</c> or <c>Dataset.*.RowCount</c>.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; }
    /// <summary>Why the rule did not pass; null when it passed.</summary>
    public string? FailureMessage { get; }
    /// <summary>For a composite rule, the results of its operands; empty otherwise.</summary>
    public IReadOnlyList<RuleResult> Children { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Outcome}: {Rule}" + (FailureMessage is null ? "" : $" ({FailureMessage})");
}

/// <summary>The results of a ruleset over one dataset.</summary>
public sealed class Scorecard
{
    /// <summary>Creates a scorecard.</summary>
    public Scorecard(double score, IReadOnlyList<RuleResult> rules, long rowCount, IReadOnlyList<AnalyzerResult>? analyzers = null,
        IReadOnlyList<WhereClauseEvaluation>? whereClauses = null)
    {
        Score = score;
        Rules = rules;
        RowCount = rowCount;
        Analyzers = analyzers ?? [];
        WhereClauses = whereClauses ?? [];
    }

    /// <summary>Each distinct <c>where</c> clause of the evaluated rules and where it was evaluated.</summary>
    public IReadOnlyList<WhereClauseEvaluation> WhereClauses { get; }

    /// <summary>The metrics of the <c>Analyzers</c> section, in order; they do not count towards the score.</summary>
    public IReadOnlyList<AnalyzerResult> Analyzers { get; }

    /// <summary>Fraction of top-level rules that passed (Glue's data quality score); 1.0 for an empty ruleset.</summary>
    public double Score { get; }
    /// <summary>One result per top-level rule, in ruleset order.</summary>
    public IReadOnlyList<RuleResult> Rules { get; }
    /// <summary>Rows read from the dataset.</summary>
    public long RowCount { get; }
}

/// <summary>The metrics of one analyzer (reported without pass or fail).</summary>
public sealed class AnalyzerResult
{
    /// <summary>Creates a result.</summary>
    public AnalyzerResult(string analyzer, IReadOnlyDictionary<string, double> metrics, string? error)
    {
        Analyzer = analyzer;
        Metrics = metrics;
        Error = error;
    }

    /// <summary>The analyzer as written, e.g. <c>Completeness "id"</c>.</summary>
    public string Analyzer { get; }
    /// <summary>The metrics computed, named as rules name them.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; }
    /// <summary>Why the metrics could not be computed; null when they were.</summary>
    public string? Error { get; }
}

/// <summary>How one <c>where</c> clause was evaluated.</summary>
/// <param name="Clause">The clause as written.</param>
/// <param name="InProcess">True when evaluated in the evaluator's own pass; false when run on the SQL engine.</param>
/// <param name="SqlEngineReason">Why the SQL engine ran it (outside the modelled subset, or the data's column types); null when in process.</param>
public sealed record WhereClauseEvaluation(string Clause, bool InProcess, string? SqlEngineReason);
