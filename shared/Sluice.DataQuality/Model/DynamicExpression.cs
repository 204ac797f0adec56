using System.Globalization;

namespace Sluice.DataQuality.Model;

/// <summary>
/// An expression of a dynamic rule, evaluated over the history of the rule's metric (its values in earlier
/// evaluations of the same dataset and rule, most recent first): <c>last(k)</c>, the aggregates <c>avg</c>,
/// <c>median</c>, <c>min</c>, <c>max</c>, <c>sum</c>, <c>std</c> of <c>last(k)</c>, <c>index(last(k), i)</c>,
/// <c>abs(x)</c>, numbers and <c>+ - * /</c> (DQDL reference, Dynamic rules).
/// </summary>
public abstract record DynamicExpression
{
    /// <summary>The value of this expression over <paramref name="history"/> (most recent first).</summary>
    /// <exception cref="InvalidOperationException">The history holds no value the expression needs.</exception>
    public abstract double Evaluate(IReadOnlyList<double> history);
}

/// <summary>A number.</summary>
public sealed record DynamicNumber(double Value) : DynamicExpression
{
    /// <inheritdoc />
    public override double Evaluate(IReadOnlyList<double> history) => Value;
}

/// <summary>
/// <c>last(k)</c>: the k most recent earlier values (fewer when the history is shorter). Used where a number is
/// expected it stands for the most recent value.
/// </summary>
public sealed record DynamicLast(int Count) : DynamicExpression
{
    /// <summary>The values <c>last(k)</c> selects, most recent first.</summary>
    /// <exception cref="InvalidOperationException">The history is empty.</exception>
    public IReadOnlyList<double> Select(IReadOnlyList<double> history)
    {
        if (history.Count == 0)
        {
            throw new InvalidOperationException("The metric has no history yet: dynamic rules compare with earlier evaluations of this dataset and rule");
        }
        return history.Take(Count).ToList();
    }

    /// <inheritdoc />
    public override double Evaluate(IReadOnlyList<double> history) => Select(history)[0];
}

/// <summary>An aggregate of <c>last(k)</c>: <c>avg</c>, <c>median</c>, <c>min</c>, <c>max</c>, <c>sum</c> or <c>std</c> (population).</summary>
public sealed record DynamicAggregate(string Function, DynamicLast Values) : DynamicExpression
{
    /// <inheritdoc />
    public override double Evaluate(IReadOnlyList<double> history)
    {
        var values = Values.Select(history);
        switch (Function)
        {
            case "avg": return values.Average();
            case "min": return values.Min();
            case "max": return values.Max();
            case "sum": return values.Sum();
            case "median":
                var sorted = values.Order().ToList();
                var middle = sorted.Count / 2;
                return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
            case "std":
                var mean = values.Average();
                return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
            default:
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Unknown function {Function}"));
        }
    }
}

/// <summary><c>index(last(k), i)</c>: the i-th value (0 = most recent) of <c>last(k)</c>.</summary>
public sealed record DynamicIndex(DynamicLast Values, int Index) : DynamicExpression
{
    /// <inheritdoc />
    public override double Evaluate(IReadOnlyList<double> history)
    {
        var values = Values.Select(history);
        if (Index >= values.Count)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"index {Index} is beyond the {values.Count} value(s) of the metric's history"));
        }
        return values[Index];
    }
}

/// <summary><c>abs(x)</c>.</summary>
public sealed record DynamicAbs(DynamicExpression Operand) : DynamicExpression
{
    /// <inheritdoc />
    public override double Evaluate(IReadOnlyList<double> history) => Math.Abs(Operand.Evaluate(history));
}

/// <summary><c>a + b</c>, <c>a - b</c>, <c>a * b</c>, <c>a / b</c>.</summary>
public sealed record DynamicBinary(char Operator, DynamicExpression Left, DynamicExpression Right) : DynamicExpression
{
    /// <inheritdoc />
    public override double Evaluate(IReadOnlyList<double> history)
    {
        var left = Left.Evaluate(history);
        var right = Right.Evaluate(history);
        return Operator switch
        {
            '+' => left + right,
            '-' => left - right,
            '*' => left * right,
            _ => left / right,
        };
    }
}
