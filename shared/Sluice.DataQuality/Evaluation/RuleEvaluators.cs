using System.Globalization;
using Sluice.DataQuality.Metrics;
using Sluice.DataQuality.Model;

namespace Sluice.DataQuality.Evaluation;

/// <summary>Dataset-wide counts known after the pass.</summary>
internal readonly record struct DatasetFacts(long RowCount, int ColumnCount);

/// <summary>Turns the accumulators a rule registered into its result once the pass is over.</summary>
internal abstract class RuleEvaluator(DqdlRule rule)
{
    protected DqdlRule Rule { get; } = rule;

    public abstract RuleResult Evaluate(DatasetFacts facts);

    public static RuleEvaluator Create(DqdlRule rule, EvaluationPlan plan) => rule switch
    {
        CompositeRule composite => new CompositeRuleEvaluator(composite, composite.Operands.Select(o => Create(o, plan)).ToList()),
        SimpleRule simple => new SimpleRuleEvaluator(simple, plan),
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
    public override RuleResult Evaluate(DatasetFacts facts)
    {
        var children = operands.Select(o => o.Evaluate(facts)).ToList();
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
    private readonly ColumnSlot[] _slots;
    private readonly string? _unsupported;
    private NumericStats? _numeric;
    private FrequencyCounter? _frequencies;
    private CompositeKeyCounter? _compositeKey;
    private ComplianceCounter? _compliance;
    private LengthStats? _lengths;
    private CustomSqlCall? _customSql;

    public SimpleRuleEvaluator(SimpleRule rule, EvaluationPlan plan) : base(rule)
    {
        _rule = rule;
        if (rule.WhereClause is not null)
        {
            _unsupported = "'where' clauses hold Spark SQL and are not supported by this evaluator";
            _slots = [];
            return;
        }

        _slots = rule.Type == RuleType.CustomSql ? [] : rule.Parameters.Select(plan.Slot).ToArray();
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
            case RuleType.ColumnValues:
                _compliance = slot!.GetOrAdd($"values:{condition!.Text}",
                    () => new ComplianceCounter(Predicates.ForColumnValues(condition, plan.Now, plan.Regexes)));
                break;
            case RuleType.ColumnLength:
                _lengths = slot!.GetOrAdd("length", () => new LengthStats());
                _compliance = slot.GetOrAdd($"length:{condition!.Text}", () => new ComplianceCounter(Predicates.ForLength(condition)));
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

    public override RuleResult Evaluate(DatasetFacts facts)
    {
        if (_unsupported is not null)
        {
            return Error(_unsupported);
        }
        foreach (var slot in _slots)
        {
            if (!slot.Present)
            {
                // Glue's wording for a rule on a column the data lacks.
                return Failed(NoMetrics, $"Input data does not include column {slot.Name}!");
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
            default:
                return Error($"Rule type {_rule.Type} is not supported");
        }
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
        var counter = _compliance!;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [ColumnMetric("MinimumLength")] = _lengths!.Minimum,
            [ColumnMetric("MaximumLength")] = _lengths.Maximum,
        };
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
        if (_rule.Threshold is { } threshold)
        {
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
        return _rule.Condition!.IsSatisfiedBy(value)
            ? Passed(metrics)
            : Failed(metrics, $"Value: {Format(value)} does not meet the constraint requirement!");
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
