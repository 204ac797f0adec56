using System.Globalization;
using Sluice.DataQuality.Metrics;
using Sluice.DataQuality.Model;

namespace Sluice.DataQuality.Evaluation;

/// <summary>Dataset-wide counts known after the pass.</summary>
internal readonly record struct DatasetFacts(long RowCount, int ColumnCount, IReadOnlyList<string> ColumnNames);

/// <summary>Turns the accumulators a rule registered into its result once the pass is over.</summary>
internal abstract class RuleEvaluator(DqdlRule rule)
{
    protected DqdlRule Rule { get; } = rule;

    public abstract RuleResult Evaluate();

    /// <summary>Creates the evaluator of <paramref name="rule"/>; each simple rule registers on the plan <paramref name="planFor"/> gives it (its where clause's).</summary>
    public static RuleEvaluator Create(DqdlRule rule, Func<SimpleRule, EvaluationPlan> planFor) => rule switch
    {
        CompositeRule composite => new CompositeRuleEvaluator(composite, composite.Operands.Select(o => Create(o, planFor)).ToList()),
        SimpleRule simple => new SimpleRuleEvaluator(simple, planFor(simple)),
        _ => throw new ArgumentOutOfRangeException(nameof(rule)),
    };
}

/// <summary>
/// Composite rules are evaluated from their operands' dataset-level outcomes (Glue's default
/// "column" composite evaluation): <c>and</c> passes when all pass, <c>or</c> when one passes.
/// A failing operand decides <c>and</c> even if another errored; a passing one decides <c>or</c>.
/// </summary>
internal sealed class CompositeRuleEvaluator(CompositeRule rule, IReadOnlyList<RuleEvaluator> operands) : RuleEvaluator(rule)
{
    public override RuleResult Evaluate()
    {
        var children = operands.Select(o => o.Evaluate()).ToList();
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var child in children)
        {
            foreach (var (name, value) in child.Metrics)
            {
                metrics.TryAdd(name, value);
            }
        }

        var decisive = rule.Operator == LogicalOperator.And ? RuleOutcome.Failed : RuleOutcome.Passed;
        RuleOutcome outcome;
        if (children.Any(c => c.Outcome == decisive))
        {
            outcome = decisive;
        }
        else if (children.Any(c => c.Outcome == RuleOutcome.Error))
        {
            outcome = RuleOutcome.Error;
        }
        else
        {
            outcome = decisive == RuleOutcome.Failed ? RuleOutcome.Passed : RuleOutcome.Failed;
        }

        var message = outcome == RuleOutcome.Passed
            ? null
            : string.Join("; ", children.Where(c => c.Outcome != RuleOutcome.Passed).Select(c => $"{c.Rule}: {c.FailureMessage}"));
        return new RuleResult(rule.Text, outcome, metrics, message, children);
    }
}

/// <summary>Registers the metrics of one simple rule on the plan and judges them after the pass.</summary>
internal sealed class SimpleRuleEvaluator : RuleEvaluator
{
    private static readonly IReadOnlyDictionary<string, double> NoMetrics = new Dictionary<string, double>();

    private readonly SimpleRule _rule;
    private readonly EvaluationPlan _plan;
    private readonly bool _analyzer;
    private readonly ColumnSlot[] _slots;
    private readonly string? _unsupported;
    private CorrelationCounter? _correlation;
    private NumericStats? _numeric;
    private FrequencyCounter? _frequencies;
    private CompositeKeyCounter? _compositeKey;
    private ComplianceCounter? _compliance;
    private LengthStats? _lengths;
    private CustomSqlCall? _customSql;

    public SimpleRuleEvaluator(SimpleRule rule, EvaluationPlan plan, bool analyzer = false) : base(rule)
    {
        _rule = rule;
        _plan = plan;
        _analyzer = analyzer;
        _unsupported = rule.Unsupported ?? (rule.Type == RuleType.AllStatistics ? "AllStatistics is not computed by Sluice" : null);
        if (_unsupported is not null)
        {
            _slots = [];
            return;
        }

        if (IsReferenceRule(rule.Type))
        {
            // Computed by the SQL engine that holds both datasets; judged here.
            _slots = [];
            _customSql = plan.AddReferenceRule(rule);
            return;
        }
        _slots = rule.Type is RuleType.CustomSql or RuleType.ColumnNamesMatchPattern ? [] : rule.Parameters.Select(plan.Slot).ToArray();
        var slot = _slots.FirstOrDefault();
        var condition = rule.Condition;
        switch (rule.Type)
        {
            case RuleType.Mean or RuleType.Sum or RuleType.StandardDeviation:
                _numeric = slot!.GetOrAdd("numeric", () => new NumericStats());
                _numeric.NeedsSquares |= rule.Type == RuleType.StandardDeviation;
                break;
            case RuleType.IsUnique or RuleType.Uniqueness or RuleType.IsPrimaryKey when _slots.Length > 1:
                _compositeKey = plan.CompositeKey(rule.Parameters);
                break;
            case RuleType.IsUnique or RuleType.Uniqueness or RuleType.IsPrimaryKey or RuleType.UniqueValueRatio
                or RuleType.DistinctValuesCount or RuleType.Entropy:
                _frequencies = slot!.GetOrAdd("frequencies", () => new FrequencyCounter());
                break;
            case RuleType.ColumnValues or RuleType.ColumnDataType or RuleType.DataFreshness when condition is null:
                _unsupported = $"{rule.TypeName} needs an expression; it cannot be an analyzer";
                break;
            case RuleType.ColumnValues:
                _compliance = slot!.GetOrAdd($"values:{condition!.Text}",
                    () => new ComplianceCounter(Predicates.ForColumnValues(condition, plan.Now, plan.Regexes)));
                break;
            case RuleType.ColumnLength:
                _lengths = slot!.GetOrAdd("length", () => new LengthStats());
                if (condition is not null)
                {
                    _compliance = slot.GetOrAdd($"length:{condition.Text}", () => new ComplianceCounter(Predicates.ForLength(condition)));
                }
                break;
            case RuleType.ColumnCorrelation:
                _correlation = plan.Correlation(rule.Parameters[0], rule.Parameters[1]);
                break;
            case RuleType.ColumnDataType:
                _compliance = slot!.GetOrAdd($"type:{condition!.Text}", () => new ComplianceCounter(Predicates.ForDataType(condition)));
                break;
            case RuleType.DataFreshness:
                _compliance = slot!.GetOrAdd($"freshness:{condition!.Text}", () => new ComplianceCounter(Predicates.ForFreshness(condition, plan.Now)));
                break;
            case RuleType.CustomSql:
                _customSql = plan.AddCustomSql(rule.Parameters[0], scalar: condition is not null);
                break;
        }
    }

    public override RuleResult Evaluate()
    {
        if (_unsupported is not null)
        {
            return Error(_unsupported);
        }
        if (_plan.Error is not null)
        {
            return Error(_plan.Error);
        }
        var facts = _plan.Facts;
        foreach (var slot in _slots)
        {
            if (!slot.Present)
            {
                // Glue's wording for a rule on a column the data lacks; ColumnExists fails, other rules cannot be evaluated.
                var message = $"Input data does not include column {slot.Name}!";
                return _rule.Type == RuleType.ColumnExists ? Failed(NoMetrics, message) : Error(message);
            }
        }

        var rows = facts.RowCount;
        var column = _slots.FirstOrDefault();
        switch (_rule.Type)
        {
            case RuleType.RowCount:
                return Judge("Dataset.*.RowCount", rows);
            case RuleType.ColumnCount:
                return Judge("Dataset.*.ColumnCount", facts.ColumnCount);
            case RuleType.ColumnExists:
                return Passed(NoMetrics);
            case RuleType.ColumnNamesMatchPattern:
                return EvaluateColumnNames(facts.ColumnNames);
            case RuleType.ColumnCorrelation:
                return EvaluateCorrelation();
            case RuleType.Completeness:
                return Judge(ColumnMetric("Completeness"), column!.NonNullCount / (double)rows);
            case RuleType.IsComplete:
                return JudgeBoolean(ColumnMetric("Completeness"), column!.NonNullCount / (double)rows, column.NonNullCount == rows);
            case RuleType.Uniqueness:
            case RuleType.IsUnique:
                return EvaluateUniqueness();
            case RuleType.IsPrimaryKey:
                return EvaluatePrimaryKey(rows);
            case RuleType.UniqueValueRatio:
            case RuleType.DistinctValuesCount:
            case RuleType.Entropy:
                return EvaluateDistribution();
            case RuleType.Mean:
            case RuleType.Sum:
            case RuleType.StandardDeviation:
                return EvaluateNumeric();
            case RuleType.ColumnValues:
                return EvaluateCompliance(ColumnMetric("ColumnValues.Compliance"), rows);
            case RuleType.ColumnDataType:
                return EvaluateCompliance(ColumnMetric("ColumnDataType.Compliance"), rows);
            case RuleType.DataFreshness:
                return EvaluateCompliance(ColumnMetric("DataFreshness.Compliance"), rows);
            case RuleType.ColumnLength:
                return EvaluateLength(rows);
            case RuleType.CustomSql:
                return EvaluateCustomSql(rows);
            case RuleType.ReferentialIntegrity or RuleType.DatasetMatch or RuleType.RowCountMatch or RuleType.AggregateMatch or RuleType.SchemaMatch:
                return _customSql!.Error is { } referenceError ? Error(referenceError) : Judge(_customSql.MetricName!, _customSql.Value);
            default:
                return Error($"Rule type {_rule.TypeName} is not supported");
        }
    }

    private static bool IsReferenceRule(RuleType type) =>
        type is RuleType.ReferentialIntegrity or RuleType.DatasetMatch or RuleType.RowCountMatch or RuleType.AggregateMatch or RuleType.SchemaMatch;

    /// <summary>
    /// Share of column names in which the pattern is found (awslabs/deequ ColumnNamesMatchPatternExecutor searches,
    /// it does not anchor); passes when every name matches.
    /// </summary>
    private RuleResult EvaluateColumnNames(IReadOnlyList<string> names)
    {
        System.Text.RegularExpressions.Regex regex;
        try
        {
            regex = new System.Text.RegularExpressions.Regex(_rule.Parameters[0], System.Text.RegularExpressions.RegexOptions.CultureInvariant, _plan.Options.RegexMatchTimeout);
        }
        catch (ArgumentException ex)
        {
            return Error($"Invalid regular expression: {ex.Message}");
        }
        try
        {
            var unmatched = names.Where(name => !regex.IsMatch(name)).ToList();
            var ratio = names.Count == 0 ? 0.0 : (names.Count - unmatched.Count) / (double)names.Count;
            var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { ["Dataset.*.ColumnNamesPatternMatchRatio"] = ratio };
            if (names.Count == 0)
            {
                return Failed(metrics, "The dataset has no columns");
            }
            return unmatched.Count == 0
                ? Passed(metrics)
                : Failed(metrics, $"Columns that do not match the pattern: {string.Join(", ", unmatched)}");
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            return Error("The pattern took too long to match a column name");
        }
    }

    private RuleResult EvaluateCorrelation()
    {
        var counter = _correlation!;
        var metric = $"Multicolumn.{_rule.Parameters[0]},{_rule.Parameters[1]}.ColumnCorrelation";
        if (counter.Pairs < 2)
        {
            return Failed(NoMetrics, $"Columns {_rule.Parameters[0]} and {_rule.Parameters[1]} have fewer than two rows where both hold a number");
        }
        var r = counter.Correlation;
        if (double.IsNaN(r))
        {
            return Failed(new Dictionary<string, double>(StringComparer.Ordinal) { [metric] = r },
                "The correlation is undefined: a column is constant over the rows where both hold a number");
        }
        return Judge(metric, r);
    }

    private RuleResult EvaluateUniqueness()
    {
        var (metric, uniqueness, error) = Uniqueness();
        if (error is not null)
        {
            return Failed(NoMetrics, error);
        }
        return _rule.Type == RuleType.IsUnique ? JudgeBoolean(metric, uniqueness, uniqueness == 1.0) : Judge(metric, uniqueness);
    }

    /// <summary>
    /// Uniqueness = values occurring exactly once / rows with a non-null value (DQDL Uniqueness reference:
    /// "Unique values occur exactly once"; Deequ's frequency analyzers leave out null rows).
    /// </summary>
    private (string Metric, double Value, string? Error) Uniqueness()
    {
        if (_compositeKey is not null)
        {
            var metric = $"Multicolumn.{string.Join(',', _rule.Parameters)}.Uniqueness";
            return _compositeKey.Rows == 0
                ? (metric, 0, "The columns hold no non-null values")
                : (metric, _compositeKey.CountOccurringOnce() / (double)_compositeKey.Rows, null);
        }
        var column = _slots[0];
        return column.NonNullCount == 0
            ? (ColumnMetric("Uniqueness"), 0, $"Column {column.Name} holds no non-null values")
            : (ColumnMetric("Uniqueness"), _frequencies!.CountOccurringOnce() / (double)column.NonNullCount, null);
    }

    private RuleResult EvaluatePrimaryKey(long rows)
    {
        var (metric, uniqueness, error) = Uniqueness();
        if (error is not null)
        {
            return Failed(NoMetrics, error);
        }
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { [metric] = uniqueness };
        var incomplete = new List<string>();
        foreach (var slot in _slots)
        {
            metrics[$"Column.{slot.Name}.Completeness"] = slot.NonNullCount / (double)rows;
            if (slot.NonNullCount != rows)
            {
                incomplete.Add(slot.Name);
            }
        }
        if (incomplete.Count > 0)
        {
            return Failed(metrics, $"Column(s) {string.Join(", ", incomplete)} hold null values");
        }
        return uniqueness == 1.0 ? Passed(metrics) : Failed(metrics, $"Value: {Format(uniqueness)} does not meet the constraint requirement!");
    }

    private RuleResult EvaluateDistribution()
    {
        var column = _slots[0];
        var table = _frequencies!;
        if (column.NonNullCount == 0)
        {
            return Failed(NoMetrics, $"Column {column.Name} holds no non-null values");
        }
        return _rule.Type switch
        {
            RuleType.DistinctValuesCount => Judge(ColumnMetric("DistinctValuesCount"), table.DistinctCount),
            RuleType.UniqueValueRatio => Judge(ColumnMetric("UniqueValueRatio"), table.CountOccurringOnce() / (double)table.DistinctCount),
            _ => Judge(ColumnMetric("Entropy"), table.Entropy(column.NonNullCount)),
        };
    }

    private RuleResult EvaluateNumeric()
    {
        var stats = _numeric!;
        var column = _slots[0];
        if (stats.NonNumericCount > 0)
        {
            return Failed(NoMetrics, $"Column {column.Name} holds {stats.NonNumericCount} non-numeric value(s); {_rule.Type} needs a numeric column");
        }
        if (stats.Count == 0)
        {
            return Failed(NoMetrics, $"Column {column.Name} holds no non-null values");
        }
        return _rule.Type switch
        {
            RuleType.Mean => Judge(ColumnMetric("Mean"), stats.Mean),
            RuleType.Sum => Judge(ColumnMetric("Sum"), stats.Sum),
            _ => Judge(ColumnMetric("StandardDeviation"), stats.StandardDeviation),
        };
    }

    private RuleResult EvaluateCompliance(string metric, long rows)
    {
        var counter = _compliance!;
        if (counter.Error is not null)
        {
            return Error(counter.Error);
        }
        var compliance = counter.Passed / (double)rows;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { [metric] = compliance };
        return JudgeCompliance(metrics, compliance, counter.Passed, rows);
    }

    private RuleResult EvaluateLength(long rows)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [ColumnMetric("MinimumLength")] = _lengths!.Minimum,
            [ColumnMetric("MaximumLength")] = _lengths.Maximum,
        };
        if (_compliance is not { } counter)
        {
            return Passed(metrics);
        }
        var compliance = counter.Passed / (double)rows;
        if (_rule.Threshold is not null)
        {
            metrics[ColumnMetric("LengthCompliance")] = compliance;
        }
        return JudgeCompliance(metrics, compliance, counter.Passed, rows);
    }

    private RuleResult EvaluateCustomSql(long rows)
    {
        var call = _customSql!;
        if (call.Error is not null)
        {
            return Error(call.Error);
        }
        if (_rule.Condition is not null)
        {
            return Judge("Dataset.*.CustomSQL", call.Value);
        }
        // Row-level form: the rows the query returns pass, the others fail.
        var passed = (long)call.Value;
        var compliance = rows == 0 ? 1.0 : Math.Min(1.0, passed / (double)rows);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { ["Dataset.*.CustomSQL.Compliance"] = compliance };
        return JudgeCompliance(metrics, compliance, Math.Min(passed, rows), rows);
    }

    /// <summary>Without a threshold every row must comply; with one, the compliant fraction is tested against it.</summary>
    private RuleResult JudgeCompliance(Dictionary<string, double> metrics, double compliance, long passed, long rows)
    {
        if (_analyzer)
        {
            return Passed(metrics);
        }
        if (_rule.Threshold is { } written)
        {
            if (!TryResolve(written, metrics.Keys.First(), out var threshold, out var error))
            {
                return new RuleResult(_rule.Text, RuleOutcome.Error, metrics, error);
            }
            return threshold.IsSatisfiedBy(compliance)
                ? Passed(metrics)
                : Failed(metrics, $"Value: {Format(compliance)} does not meet the threshold requirement ({threshold.Text})!");
        }
        return passed == rows
            ? Passed(metrics)
            : Failed(metrics, $"{(compliance * 100).ToString("0.00", CultureInfo.InvariantCulture)} % of rows passed the threshold ({rows - passed} of {rows} rows failed)");
    }

    private RuleResult Judge(string metric, double value)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { [metric] = value };
        if (_analyzer)
        {
            // An analyzer: the metric is reported, not judged.
            return Passed(metrics);
        }
        if (!TryResolve(_rule.Condition!, metric, out var condition, out var error))
        {
            return new RuleResult(_rule.Text, RuleOutcome.Error, metrics, error);
        }
        return condition.IsSatisfiedBy(value)
            ? Passed(metrics)
            : Failed(metrics, condition == _rule.Condition
                ? $"Value: {Format(value)} does not meet the constraint requirement!"
                : $"Value: {Format(value)} does not meet the constraint requirement ({condition.DescribeResolved()} from the metric's history)!");
    }

    /// <summary>Resolves a dynamic condition over the metric's history (the values of earlier evaluations, most recent first).</summary>
    private bool TryResolve(Condition condition, string metric, out Condition resolved, out string? error)
    {
        resolved = condition;
        error = null;
        if (!condition.IsDynamic)
        {
            return true;
        }
        var history = _plan.Options.MetricHistory?.Values(_rule.Text, metric) ?? [];
        try
        {
            resolved = condition.Resolve(history);
            return true;
        }
        catch (InvalidOperationException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    private RuleResult JudgeBoolean(string metric, double value, bool passed)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { [metric] = value };
        return passed ? Passed(metrics) : Failed(metrics, $"Value: {Format(value)} does not meet the constraint requirement!");
    }

    private string ColumnMetric(string name) => $"Column.{_slots[0].Name}.{name}";

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    private RuleResult Passed(IReadOnlyDictionary<string, double> metrics) => new(_rule.Text, RuleOutcome.Passed, metrics, null);

    private RuleResult Failed(IReadOnlyDictionary<string, double> metrics, string message) => new(_rule.Text, RuleOutcome.Failed, metrics, message);

    private RuleResult Error(string message) => new(_rule.Text, RuleOutcome.Error, NoMetrics, message);
}
