namespace Sluice.Contracts.Messages;

/// <summary>
/// Event: the validation service checked a landed dataset (<see cref="DatasetLanded"/>, same
/// <see cref="JobId"/>) with the DQDL ruleset registered for its source. Every DatasetLanded gets
/// exactly one answer: a scorecard (<see cref="DatasetValidationStatus.Scored"/>), or the reason
/// there is none (<see cref="DatasetValidationStatus.NoRuleset"/>, <see cref="DatasetValidationStatus.Error"/>).
/// </summary>
public sealed record DatasetValidated
{
    public required string JobId { get; init; }

    public required string Source { get; init; }

    public required DatasetValidationStatus Status { get; init; }

    /// <summary>
    /// True only when the dataset was scored and every rule passed. False without a scorecard:
    /// a dataset nobody checked is not a passing one.
    /// </summary>
    public required bool Passed { get; init; }

    /// <summary>Passed rules / rules (Glue's data quality score); null without a scorecard.</summary>
    public double? Score { get; init; }

    /// <summary>Rows read from the parts; null without a scorecard.</summary>
    public long? RowCount { get; init; }

    /// <summary>The version of the source's ruleset that was (or was to be) evaluated; null when none is registered.</summary>
    public int? RulesetVersion { get; init; }

    /// <summary>One result per top-level rule, in ruleset order; empty without a scorecard.</summary>
    public IReadOnlyList<DatasetRuleResult> Rules { get; init; } = [];

    /// <summary>Why there is no scorecard (no ruleset, unreadable or missing part, ...); null when scored.</summary>
    public string? Error { get; init; }

    public required DateTimeOffset EvaluatedAt { get; init; }

    /// <summary>The NDJSON part keys of the dataset, as DatasetLanded listed them, so the load needs no other message. Defaults to none.</summary>
    public IReadOnlyList<string> ObjectKeys { get; init; } = [];
}

/// <summary>Whether a landed dataset got a scorecard.</summary>
public enum DatasetValidationStatus
{
    /// <summary>The ruleset was evaluated; <see cref="DatasetValidated.Score"/> and the rule results are set.</summary>
    Scored,

    /// <summary>No ruleset is registered for the source, so nothing was checked.</summary>
    NoRuleset,

    /// <summary>The evaluation could not run to its end, e.g. a part is missing or not NDJSON; see <see cref="DatasetValidated.Error"/>.</summary>
    Error,
}

/// <summary>The result of one rule of a ruleset on a landed dataset.</summary>
public sealed record DatasetRuleResult
{
    /// <summary>The rule as written in the ruleset.</summary>
    public required string Rule { get; init; }

    public required DatasetRuleOutcome Outcome { get; init; }

    /// <summary>
    /// Measured metrics named as Glue names them (e.g. <c>Column.amount.Completeness</c>); null
    /// where a metric has no value, e.g. the completeness of an empty dataset.
    /// </summary>
    public IReadOnlyDictionary<string, double?> Metrics { get; init; } = new Dictionary<string, double?>();

    /// <summary>Why the rule did not pass; null when it passed.</summary>
    public string? FailureMessage { get; init; }

    /// <summary>For a composite (and/or) rule, the results of its operands; empty otherwise.</summary>
    public IReadOnlyList<DatasetRuleResult> Children { get; init; } = [];
}

/// <summary>The outcome of one rule.</summary>
public enum DatasetRuleOutcome
{
    Passed,
    Failed,

    /// <summary>The rule could not be evaluated (e.g. CustomSql without a query engine); see the failure message.</summary>
    Error,
}
