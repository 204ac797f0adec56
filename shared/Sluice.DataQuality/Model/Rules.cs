namespace Sluice.DataQuality.Model;

/// <summary>A parsed DQDL document: the rules of its <c>Rules = [ ... ]</c> list, in order.</summary>
public sealed class Ruleset
{
    /// <summary>Creates a ruleset.</summary>
    public Ruleset(IReadOnlyList<DqdlRule> rules, IReadOnlyList<SimpleRule>? analyzers = null)
    {
        Rules = rules;
        Analyzers = analyzers ?? [];
    }

    /// <summary>The top-level rules; the scorecard has one result per entry.</summary>
    public IReadOnlyList<DqdlRule> Rules { get; }

    /// <summary>The <c>Analyzers = [ ... ]</c> section: rule types without expressions whose metrics are reported, never judged.</summary>
    public IReadOnlyList<SimpleRule> Analyzers { get; }

    /// <summary>True when a rule (or a composite's operand) compares its metric with the metric's history.</summary>
    public bool HasDynamicRules => Rules.Any(rule => rule.SimpleRules().Any(simple => simple.IsDynamic));
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

    /// <summary>This rule if simple, else every simple rule nested in the composite, in order.</summary>
    public IEnumerable<SimpleRule> SimpleRules() => this switch
    {
        SimpleRule simple => [simple],
        CompositeRule composite => composite.Operands.SelectMany(operand => operand.SimpleRules()),
        _ => [],
    };
}

/// <summary>One rule type with its parameters, expression and optional threshold.</summary>
public sealed class SimpleRule : DqdlRule
{
    /// <summary>Creates a simple rule.</summary>
    public SimpleRule(string text, int line, int column, RuleType type, IReadOnlyList<string> parameters,
        Condition? condition, Condition? threshold, string? whereClause, string? typeName = null, string? unsupported = null)
        : base(text, line, column)
    {
        Type = type;
        TypeName = typeName ?? type.ToString();
        Unsupported = unsupported;
        Parameters = parameters;
        Condition = condition;
        Threshold = threshold;
        WhereClause = whereClause;
    }

    /// <summary>The rule type.</summary>
    public RuleType Type { get; }
    /// <summary>The rule type as written (e.g. <c>FileSize</c> for <see cref="RuleType.FileRule"/>).</summary>
    public string TypeName { get; }
    /// <summary>Why this valid rule cannot be evaluated (it then ends in Error), or null.</summary>
    public string? Unsupported { get; }
    /// <summary>True when the expression (or threshold) refers to the metric's history (<c>last(k)</c>, <c>avg(...)</c>, ...).</summary>
    public bool IsDynamic => (Condition?.IsDynamic ?? false) || (Threshold?.IsDynamic ?? false);
    /// <summary>The quoted parameters: column names, or the SQL statement of <see cref="RuleType.CustomSql"/>.</summary>
    public IReadOnlyList<string> Parameters { get; }
    /// <summary>The expression, or null for rule types that return a Boolean (IsComplete, IsUnique, ...).</summary>
    public Condition? Condition { get; }
    /// <summary>The <c>with threshold</c> expression applied to the fraction of compliant rows, if any.</summary>
    public Condition? Threshold { get; }
    /// <summary>A <c>where "..."</c> SQL filter: the rule is evaluated over the rows it selects (on the SQL engine).</summary>
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
