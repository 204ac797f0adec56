namespace Sluice.DataQuality.Model;

/// <summary>A parsed DQDL document: the rules of its <c>Rules = [ ... ]</c> list, in order.</summary>
public sealed class Ruleset
{
    /// <summary>Creates a ruleset.</summary>
    public Ruleset(IReadOnlyList<DqdlRule> rules) => Rules = rules;

    /// <summary>The top-level rules; the scorecard has one result per entry.</summary>
    public IReadOnlyList<DqdlRule> Rules { get; }
}

/// <summary>A rule of a ruleset: a <see cref="SimpleRule"/> or a <see cref="CompositeRule"/>.</summary>
public abstract class DqdlRule
{
    private protected DqdlRule(string text, int line, int column)
    {
        Text = text;
        Line = line;
        Column = column;
    }

    /// <summary>The rule as written in the ruleset (without enclosing parentheses).</summary>
    public string Text { get; }
    /// <summary>1-based line where the rule starts.</summary>
    public int Line { get; }
    /// <summary>1-based column where the rule starts.</summary>
    public int Column { get; }

    /// <inheritdoc />
    public override string ToString() => Text;
}

/// <summary>One rule type with its parameters, expression and optional threshold.</summary>
public sealed class SimpleRule : DqdlRule
{
    /// <summary>Creates a simple rule.</summary>
    public SimpleRule(string text, int line, int column, RuleType type, IReadOnlyList<string> parameters,
        Condition? condition, Condition? threshold, string? whereClause)
        : base(text, line, column)
    {
        Type = type;
        Parameters = parameters;
        Condition = condition;
        Threshold = threshold;
        WhereClause = whereClause;
    }

    /// <summary>The rule type.</summary>
    public RuleType Type { get; }
    /// <summary>The quoted parameters: column names, or the SQL statement of <see cref="RuleType.CustomSql"/>.</summary>
    public IReadOnlyList<string> Parameters { get; }
    /// <summary>The expression, or null for rule types that return a Boolean (IsComplete, IsUnique, ...).</summary>
    public Condition? Condition { get; }
    /// <summary>The <c>with threshold</c> expression applied to the fraction of compliant rows, if any.</summary>
    public Condition? Threshold { get; }
    /// <summary>A <c>where "..."</c> Spark SQL filter; parsed but not evaluated (the rule ends in Error).</summary>
    public string? WhereClause { get; }
}

/// <summary><c>(rule) and (rule) ...</c> or <c>(rule) or (rule) ...</c>; operands may nest.</summary>
public sealed class CompositeRule : DqdlRule
{
    /// <summary>Creates a composite rule.</summary>
    public CompositeRule(string text, int line, int column, LogicalOperator @operator, IReadOnlyList<DqdlRule> operands)
        : base(text, line, column)
    {
        Operator = @operator;
        Operands = operands;
    }

    /// <summary>How operands combine.</summary>
    public LogicalOperator Operator { get; }
    /// <summary>Two or more operands.</summary>
    public IReadOnlyList<DqdlRule> Operands { get; }
}
