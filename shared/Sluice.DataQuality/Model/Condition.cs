namespace Sluice.DataQuality.Model;

/// <summary>Comparison operators of DQDL expressions.</summary>
public enum ConditionOperator
{
    /// <summary><c>= x</c></summary>
    Equal,
    /// <summary><c>!= x</c></summary>
    NotEqual,
    /// <summary><c>&gt; x</c></summary>
    GreaterThan,
    /// <summary><c>&gt;= x</c></summary>
    GreaterThanOrEqual,
    /// <summary><c>&lt; x</c></summary>
    LessThan,
    /// <summary><c>&lt;= x</c></summary>
    LessThanOrEqual,
    /// <summary><c>between a and b</c>: exclusive, a &lt; v &lt; b (DQDL reference, Expressions).</summary>
    Between,
    /// <summary><c>not between a and b</c>: inclusive outside, v &lt;= a or v &gt;= b.</summary>
    NotBetween,
    /// <summary><c>in [a, b, ...]</c></summary>
    In,
    /// <summary><c>not in [a, b, ...]</c></summary>
    NotIn,
    /// <summary><c>matches "regex"</c>: the whole value must match.</summary>
    Matches,
    /// <summary><c>not matches "regex"</c></summary>
    NotMatches,
}

/// <summary>What an operand of an expression is.</summary>
public enum OperandKind
{
    /// <summary>A number literal (or a quoted string holding a number where a number is expected).</summary>
    Number,
    /// <summary>A quoted string.</summary>
    String,
    /// <summary>The <c>NULL</c> keyword.</summary>
    Null,
    /// <summary>The <c>EMPTY</c> keyword: the empty string.</summary>
    Empty,
    /// <summary>The <c>WHITESPACES_ONLY</c> keyword: a non-empty string of spaces.</summary>
    WhitespacesOnly,
    /// <summary>A date: a quoted <c>yyyy-MM-dd</c> literal or a <c>now()</c> expression.</summary>
    Date,
    /// <summary>A duration such as <c>24 hours</c> or <c>3 days</c>.</summary>
    Duration,
    /// <summary>A number computed from the metric's history, e.g. <c>avg(last(10)) * 0.9</c> (dynamic rules).</summary>
    Dynamic,
}

/// <summary>One operand of a DQDL expression.</summary>
public sealed record Operand
{
    /// <summary>What the operand is.</summary>
    public required OperandKind Kind { get; init; }
    /// <summary>The number, for <see cref="OperandKind.Number"/>.</summary>
    public double Number { get; init; }
    /// <summary>The text, for <see cref="OperandKind.String"/>.</summary>
    public string? Text { get; init; }
    /// <summary>The date expression, for <see cref="OperandKind.Date"/>.</summary>
    public DateExpression? Date { get; init; }
    /// <summary>The duration, for <see cref="OperandKind.Duration"/>.</summary>
    public TimeSpan Duration { get; init; }
    /// <summary>The expression over the metric's history, for <see cref="OperandKind.Dynamic"/>.</summary>
    public DynamicExpression? Dynamic { get; init; }
}

/// <summary>
/// A DQDL date: either a literal calendar date (<c>"2024-06-30"</c>, compared at day granularity)
/// or <c>now()</c> shifted by an offset (<c>now() - 3 days</c>, compared as an instant).
/// </summary>
public sealed record DateExpression
{
    /// <summary>The literal date, or null for a <c>now()</c> expression.</summary>
    public DateOnly? Literal { get; init; }
    /// <summary>Added to <c>now()</c>; negative for <c>now() - x</c>.</summary>
    public TimeSpan OffsetFromNow { get; init; }
    /// <summary>True when the operand is a calendar date compared by day.</summary>
    public bool IsLiteralDate => Literal.HasValue;

    /// <summary>The instant this expression names, given the evaluation's current time.</summary>
    public DateTimeOffset Resolve(DateTimeOffset now) =>
        Literal is { } date ? new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : now + OffsetFromNow;
}

/// <summary>A DQDL expression: an operator with its operands, e.g. <c>between 1 and 5</c>.</summary>
public sealed class Condition
{
    /// <summary>Creates a condition.</summary>
    public Condition(ConditionOperator @operator, IReadOnlyList<Operand> operands, string text)
    {
        Operator = @operator;
        Operands = operands;
        Text = text;
    }

    /// <summary>The operator.</summary>
    public ConditionOperator Operator { get; }
    /// <summary>The operands (one for comparisons, two for between, any number for in).</summary>
    public IReadOnlyList<Operand> Operands { get; }
    /// <summary>The expression as written in the ruleset.</summary>
    public string Text { get; }

    /// <summary>True when an operand is computed from the metric's history.</summary>
    public bool IsDynamic => Operands.Any(operand => operand.Kind == OperandKind.Dynamic);

    /// <summary>
    /// This condition with every dynamic operand replaced by its value over <paramref name="history"/>
    /// (the metric's earlier values, most recent first).
    /// </summary>
    /// <exception cref="InvalidOperationException">The history holds no value the expression needs.</exception>
    public Condition Resolve(IReadOnlyList<double> history)
    {
        if (!IsDynamic)
        {
            return this;
        }
        var operands = Operands
            .Select(operand => operand.Kind == OperandKind.Dynamic
                ? new Operand { Kind = OperandKind.Number, Number = operand.Dynamic!.Evaluate(history) }
                : operand)
            .ToList();
        return new Condition(Operator, operands, Text);
    }

    /// <summary>The expression with dynamic operands shown by value, e.g. <c>&gt; 812.5</c>.</summary>
    public string DescribeResolved() => Operator switch
    {
        ConditionOperator.Between => $"between {Format(Operands[0])} and {Format(Operands[1])}",
        ConditionOperator.NotBetween => $"not between {Format(Operands[0])} and {Format(Operands[1])}",
        ConditionOperator.In or ConditionOperator.NotIn =>
            $"{(Operator == ConditionOperator.In ? "in" : "not in")} [{string.Join(", ", Operands.Select(Format))}]",
        _ => $"{Symbol(Operator)} {Format(Operands[0])}",
    };

    private static string Format(Operand operand) => operand.Kind == OperandKind.Number
        ? operand.Number.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : operand.Text ?? operand.Kind.ToString();

    private static string Symbol(ConditionOperator op) => op switch
    {
        ConditionOperator.Equal => "=",
        ConditionOperator.NotEqual => "!=",
        ConditionOperator.GreaterThan => ">",
        ConditionOperator.GreaterThanOrEqual => ">=",
        ConditionOperator.LessThan => "<",
        ConditionOperator.LessThanOrEqual => "<=",
        _ => op.ToString(),
    };

    /// <summary>
    /// Tests a metric value against a numeric condition. Equality is exact, as in Glue;
    /// <c>between</c> is exclusive and <c>not between</c> inclusive (DQDL reference, Expressions).
    /// </summary>
    public bool IsSatisfiedBy(double value)
    {
        var operands = Operands;
        switch (Operator)
        {
            case ConditionOperator.Equal: return value == operands[0].Number;
            case ConditionOperator.NotEqual: return value != operands[0].Number;
            case ConditionOperator.GreaterThan: return value > operands[0].Number;
            case ConditionOperator.GreaterThanOrEqual: return value >= operands[0].Number;
            case ConditionOperator.LessThan: return value < operands[0].Number;
            case ConditionOperator.LessThanOrEqual: return value <= operands[0].Number;
            case ConditionOperator.Between: return value > operands[0].Number && value < operands[1].Number;
            case ConditionOperator.NotBetween: return value <= operands[0].Number || value >= operands[1].Number;
            case ConditionOperator.In:
            case ConditionOperator.NotIn:
                var found = false;
                foreach (var operand in operands)
                {
                    if (operand.Kind == OperandKind.Number && operand.Number == value)
                    {
                        found = true;
                        break;
                    }
                }
                return found == (Operator == ConditionOperator.In);
            default:
                return false;
        }
    }
}
