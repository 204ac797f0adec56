using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.DataQuality.Model;

namespace Sluice.DataQuality.Parsing;

/// <summary>
/// Parses DQDL documents: optional string constants (<c>name = "..."</c>, used as <c>$name</c>) followed by
/// <c>Rules = [ rule, rule, ... ]</c>. Rule types are case-sensitive; keywords (<c>and</c>, <c>or</c>,
/// <c>NULL</c>, <c>EMPTY</c>, <c>WHITESPACES_ONLY</c>) accept lower and upper case, as in the reference grammar.
/// </summary>
public static class DqdlParser
{
    /// <summary>The data type names <c>ColumnDataType</c> accepts (case-insensitive).</summary>
    public static IReadOnlyList<string> DataTypeNames { get; } = ["Boolean", "Date", "Timestamp", "Integer", "Double", "Float", "Long"];

    /// <summary>Parses a DQDL document.</summary>
    /// <exception cref="DqdlParseException">The text is not a valid ruleset; the exception carries line and column.</exception>
    public static Ruleset Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new Parser(text).ParseDocument();
    }

    private sealed class Parser(string text)
    {
        private readonly List<Token> _tokens = DqdlLexer.Tokenize(text);
        private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
        private int _position;

        private Token Current => _tokens[_position];
        private Token Previous => _tokens[_position - 1];

        public Ruleset ParseDocument()
        {
            List<DqdlRule>? rules = null;
            List<SimpleRule>? analyzers = null;
            while (Current.Kind != TokenKind.End)
            {
                if (Current.IsIdentifier("Rules"))
                {
                    if (rules is not null)
                    {
                        throw Error(Current, "The ruleset has two 'Rules' sections");
                    }
                    rules = ParseList(ParseRuleExpression, "rule");
                }
                else if (Current.IsIdentifier("Analyzers"))
                {
                    if (analyzers is not null)
                    {
                        throw Error(Current, "The ruleset has two 'Analyzers' sections");
                    }
                    analyzers = ParseList(ParseAnalyzer, "analyzer");
                }
                else if (Current.Kind == TokenKind.Identifier && rules is null && analyzers is null)
                {
                    ParseConstant();
                }
                else
                {
                    throw Error(Current, rules is null && analyzers is null
                        ? "Expected 'Rules = [ ... ]'"
                        : "Unexpected text after the closing ']' of the rule list");
                }
            }
            if (rules is null && analyzers is null)
            {
                throw Error(Current, "Expected 'Rules = [ ... ]'");
            }
            return new Ruleset(rules ?? [], analyzers);
        }

        private void ParseConstant()
        {
            var name = Current;
            if (name.IsIdentifier("Metadata") || name.IsIdentifier("Sources") || name.IsIdentifier("DefaultLabels"))
            {
                throw Error(name, $"The '{name.Text}' section is not supported; expected 'Rules = [ ... ]'");
            }
            Advance();
            if (Current.Kind != TokenKind.Equal)
            {
                throw Error(name, "Expected 'Rules = [ ... ]'");
            }
            Advance();
            var value = Expect(TokenKind.String, $"Expected a quoted string as the value of constant '{name.Text}'");
            _constants[name.Text] = value.Text;
        }

        private List<T> ParseList<T>(Func<T> parseItem, string what)
        {
            var section = Current.Text;
            Advance();
            Expect(TokenKind.Equal, $"Expected '=' after '{section}'");
            Expect(TokenKind.LeftBracket, $"Expected '[' to open the {what} list");
            var items = new List<T>();
            if (Current.Kind != TokenKind.RightBracket)
            {
                items.Add(parseItem());
                while (Current.Kind == TokenKind.Comma)
                {
                    Advance();
                    items.Add(parseItem());
                }
            }
            Expect(TokenKind.RightBracket, $"Expected ',' or ']' after {(what == "analyzer" ? "an" : "a")} {what}");
            return items;
        }

        /// <summary>An analyzer: a rule type with its parameters and no expression; its metrics are reported, never judged.</summary>
        private SimpleRule ParseAnalyzer()
        {
            var typeToken = Current;
            if (typeToken.Kind != TokenKind.Identifier || !RuleTypeSpec.TryGet(typeToken.Text, out var spec))
            {
                throw Error(typeToken, typeToken.Kind == TokenKind.Identifier
                    ? $"Unknown rule type '{typeToken.Text}'"
                    : "Expected an analyzer such as Completeness \"col\"");
            }
            Advance();
            var parameters = ReadParameters(typeToken, spec);
            if (StartsCondition(Current))
            {
                throw Error(Current, "Analyzers take no expression: their metrics are reported without pass or fail");
            }
            string? whereClause = null;
            if (Current.IsIdentifier("where"))
            {
                Advance();
                whereClause = ReadStringValue(Expect(TokenKind.String, "Expected a quoted SQL filter after 'where'"));
            }
            var unsupported = spec.Expression == ExpressionKind.Opaque || spec.Type is RuleType.CustomSql
                ? $"{typeToken.Text} cannot be an analyzer here"
                : whereClause is not null && !spec.AllowsWhere ? $"{typeToken.Text} does not take a 'where' clause" : null;
            return new SimpleRule(SourceText(typeToken, Previous), typeToken.Line, typeToken.Column, spec.Type, parameters,
                null, null, whereClause, typeToken.Text, unsupported);
        }

        private List<string> ReadParameters(Token typeToken, RuleTypeSpec spec)
        {
            var parameters = new List<string>();
            while (Current.Kind is TokenKind.String or TokenKind.Variable)
            {
                if (parameters.Count == spec.MaxParameters)
                {
                    throw Error(Current, spec.MaxParameters == 0
                        ? $"'{typeToken.Text}' takes no parameters"
                        : $"'{typeToken.Text}' takes {Describe(spec.MaxParameters)}");
                }
                parameters.Add(ReadStringValue(Current));
                Advance();
            }
            if (parameters.Count < spec.MinParameters)
            {
                throw Error(Current, spec.Type == RuleType.CustomSql
                    ? "Expected a quoted SQL statement after 'CustomSql'"
                    : spec.MinParameters == 1
                        ? $"Expected a quoted column name after '{typeToken.Text}'"
                        : $"'{typeToken.Text}' takes {spec.MinParameters} quoted parameters");
            }
            if (spec.Type == RuleType.RowCount)
            {
                parameters.Clear();
            }
            return parameters;
        }

        private DqdlRule ParseRuleExpression()
        {
            var start = Current;
            var first = ParseOperand(out var firstParenthesized);
            if (!IsLogicalOperator(Current, out var op))
            {
                return first;
            }
            if (!firstParenthesized)
            {
                throw Error(start, $"Each rule joined with '{Current.Text}' must be enclosed in parentheses");
            }

            var operands = new List<DqdlRule> { first };
            while (IsLogicalOperator(Current, out var next))
            {
                if (next != op)
                {
                    throw Error(Current, "Cannot mix 'and' and 'or' at one level; add parentheses");
                }
                Advance();
                var operandStart = Current;
                var operand = ParseOperand(out var parenthesized);
                if (!parenthesized)
                {
                    throw Error(operandStart, $"Each rule joined with '{(op == LogicalOperator.And ? "and" : "or")}' must be enclosed in parentheses");
                }
                operands.Add(operand);
            }
            return new CompositeRule(SourceText(start, Previous), start.Line, start.Column, op, operands);
        }

        private DqdlRule ParseOperand(out bool parenthesized)
        {
            if (Current.Kind == TokenKind.LeftParen)
            {
                Advance();
                var inner = ParseRuleExpression();
                Expect(TokenKind.RightParen, "Expected ')' to close the rule");
                parenthesized = true;
                return inner;
            }
            parenthesized = false;
            return ParseSimpleRule();
        }

        private SimpleRule ParseSimpleRule()
        {
            var typeToken = Current;
            if (typeToken.Kind != TokenKind.Identifier)
            {
                throw Error(typeToken, "Expected a rule type such as IsComplete or ColumnValues");
            }
            if (!RuleTypeSpec.TryGet(typeToken.Text, out var spec))
            {
                throw Error(typeToken, $"Unknown rule type '{typeToken.Text}'");
            }
            if (spec.AnalyzerOnly)
            {
                throw Error(typeToken, $"'{typeToken.Text}' is an analyzer only: list it under 'Analyzers = [ ... ]'");
            }
            Advance();

            var parameters = ReadParameters(typeToken, spec);
            if (spec.Expression == ExpressionKind.Opaque)
            {
                // Valid DQDL that Sluice cannot evaluate (S3 file rules, anomaly detection): kept whole, ends in Error.
                SkipToEndOfRule();
                return new SimpleRule(SourceText(typeToken, Previous), typeToken.Line, typeToken.Column, spec.Type, parameters,
                    null, null, null, typeToken.Text,
                    spec.Type == RuleType.DetectAnomalies
                        ? "DetectAnomalies needs a trained anomaly-detection model, which Sluice does not have"
                        : $"{typeToken.Text} checks files in Amazon S3, not the rows of a dataset; Sluice does not evaluate file rules");
            }

            Condition? condition = null;
            if (StartsCondition(Current))
            {
                if (spec.Expression == ExpressionKind.None)
                {
                    throw Error(Current, $"'{typeToken.Text}' takes no expression");
                }
                condition = ParseCondition(spec.Expression);
            }
            else if (spec.Expression != ExpressionKind.None && !spec.ExpressionOptional)
            {
                throw Error(Current, $"Expected an expression such as '> 0.9' or 'between 1 and 5' after '{SourceText(typeToken, Previous)}'");
            }

            string? whereClause = null;
            Condition? threshold = null;
            // The reference writes `where` before `with threshold`; the other order is accepted too.
            for (var i = 0; i < 2; i++)
            {
                if (whereClause is null && Current.IsIdentifier("where"))
                {
                    Advance();
                    whereClause = ReadStringValue(Expect(TokenKind.String, "Expected a quoted SQL filter after 'where'"));
                    if (whereClause.Trim().Length == 0)
                    {
                        throw Error(Previous, "The 'where' filter is empty");
                    }
                }
                else if (threshold is null && Current.IsIdentifier("with"))
                {
                    threshold = ParseThreshold(typeToken, spec, condition);
                }
            }

            string? unsupported = null;
            if (whereClause is not null && !spec.AllowsWhere)
            {
                // A clause the rule type does not take fails only this rule, not the ruleset.
                unsupported = $"{typeToken.Text} does not take a 'where' clause (DQDL reference)";
            }
            return new SimpleRule(SourceText(typeToken, Previous), typeToken.Line, typeToken.Column, spec.Type,
                parameters, condition, threshold, whereClause, typeToken.Text, unsupported);
        }

        private Condition ParseThreshold(Token typeToken, RuleTypeSpec spec, Condition? condition)
        {
            var withToken = Current;
            var allowed = spec.AllowsThreshold && !(spec.Type == RuleType.CustomSql && condition is not null);
            if (!allowed)
            {
                throw Error(withToken, $"'{typeToken.Text}' does not take 'with threshold' here");
            }
            Advance();
            if (!Current.IsIdentifier("threshold"))
            {
                throw Error(Current, "Expected 'threshold' after 'with'");
            }
            Advance();
            if (!StartsCondition(Current))
            {
                throw Error(Current, "Expected a threshold expression such as '> 0.9'");
            }
            return ParseCondition(ExpressionKind.Numeric);
        }

        /// <summary>Skips the tokens of a rule up to the ',' ']' or ')' that ends it, keeping brackets balanced.</summary>
        private void SkipToEndOfRule()
        {
            var depth = 0;
            while (Current.Kind != TokenKind.End)
            {
                switch (Current.Kind)
                {
                    case TokenKind.LeftParen or TokenKind.LeftBracket:
                        depth++;
                        break;
                    case TokenKind.RightParen or TokenKind.RightBracket when depth == 0:
                        return;
                    case TokenKind.RightParen or TokenKind.RightBracket:
                        depth--;
                        break;
                    case TokenKind.Comma when depth == 0:
                        return;
                    case TokenKind.Identifier when depth == 0 && (IsLogicalOperator(Current, out _)):
                        return;
                }
                Advance();
            }
        }

        private static string Describe(int parameters) => parameters == 1 ? "exactly one quoted parameter" : $"at most {parameters} parameters";

        private static bool StartsCondition(Token token) => token.Kind switch
        {
            TokenKind.Equal or TokenKind.NotEqual or TokenKind.Greater or TokenKind.GreaterOrEqual or TokenKind.Less or TokenKind.LessOrEqual => true,
            TokenKind.Identifier => token.Text is "between" or "not" or "in" or "matches",
            _ => false,
        };

        private Condition ParseCondition(ExpressionKind kind)
        {
            var start = Current;
            ConditionOperator op;
            var operandTokens = new List<Token>();
            var operands = new List<Operand>();

            switch (start.Kind)
            {
                case TokenKind.Equal: op = ConditionOperator.Equal; break;
                case TokenKind.NotEqual: op = ConditionOperator.NotEqual; break;
                case TokenKind.Greater: op = ConditionOperator.GreaterThan; break;
                case TokenKind.GreaterOrEqual: op = ConditionOperator.GreaterThanOrEqual; break;
                case TokenKind.Less: op = ConditionOperator.LessThan; break;
                case TokenKind.LessOrEqual: op = ConditionOperator.LessThanOrEqual; break;
                default:
                    var negated = start.IsIdentifier("not");
                    if (negated)
                    {
                        Advance();
                    }
                    if (Current.IsIdentifier("between"))
                    {
                        op = negated ? ConditionOperator.NotBetween : ConditionOperator.Between;
                    }
                    else if (Current.IsIdentifier("in"))
                    {
                        op = negated ? ConditionOperator.NotIn : ConditionOperator.In;
                    }
                    else if (Current.IsIdentifier("matches"))
                    {
                        op = negated ? ConditionOperator.NotMatches : ConditionOperator.Matches;
                    }
                    else
                    {
                        throw Error(Current, "Expected 'between', 'in' or 'matches' after 'not'");
                    }
                    break;
            }
            var operatorToken = Current;
            Advance();

            switch (op)
            {
                case ConditionOperator.Between:
                case ConditionOperator.NotBetween:
                    ReadOperand(kind, operandTokens, operands);
                    if (!(Current.IsIdentifier("and") || Current.IsIdentifier("AND")))
                    {
                        throw Error(Current, "Expected 'and' between the two bounds of 'between'");
                    }
                    Advance();
                    ReadOperand(kind, operandTokens, operands);
                    break;
                case ConditionOperator.In:
                case ConditionOperator.NotIn:
                    Expect(TokenKind.LeftBracket, "Expected '[' after 'in'");
                    ReadOperand(kind, operandTokens, operands);
                    while (Current.Kind == TokenKind.Comma)
                    {
                        Advance();
                        ReadOperand(kind, operandTokens, operands);
                    }
                    Expect(TokenKind.RightBracket, "Expected ',' or ']' in the value list");
                    break;
                case ConditionOperator.Matches:
                case ConditionOperator.NotMatches:
                    if (kind != ExpressionKind.Values)
                    {
                        throw Error(operatorToken, "'matches' applies only to ColumnValues");
                    }
                    var pattern = Expect(TokenKind.String, "Expected a quoted regular expression after 'matches'");
                    ValidateRegex(pattern);
                    operandTokens.Add(pattern);
                    operands.Add(new Operand { Kind = OperandKind.String, Text = pattern.Text });
                    break;
                default:
                    ReadOperand(kind, operandTokens, operands);
                    break;
            }

            Validate(kind, op, operandTokens, operands);
            return new Condition(op, operands, SourceText(start, Previous));
        }

        private void ReadOperand(ExpressionKind kind, List<Token> operandTokens, List<Operand> operands)
        {
            var token = Current;
            operandTokens.Add(token);
            operands.Add(ReadOperand(kind));
        }

        private Operand ReadOperand(ExpressionKind kind)
        {
            var token = Current;
            if (kind == ExpressionKind.Numeric && token.Kind is not (TokenKind.String or TokenKind.Variable))
            {
                var expression = ParseArithmetic();
                return expression is DynamicNumber number
                    ? NumberOrDuration(kind, number.Value)
                    : new Operand { Kind = OperandKind.Dynamic, Dynamic = expression, Text = SourceText(token, Previous) };
            }
            switch (token.Kind)
            {
                case TokenKind.String:
                case TokenKind.Variable:
                    Advance();
                    return new Operand { Kind = OperandKind.String, Text = ReadStringValue(token) };
                case TokenKind.Minus:
                    Advance();
                    var negative = Expect(TokenKind.Number, "Expected a number after '-'");
                    return NumberOrDuration(kind, -ParseNumber(negative));
                case TokenKind.Number:
                    Advance();
                    return NumberOrDuration(kind, ParseNumber(token));
                case TokenKind.LeftParen:
                    Advance();
                    if (!Current.IsIdentifier("now"))
                    {
                        throw Error(Current, "Expected 'now()' inside parentheses");
                    }
                    var date = ReadNow();
                    Expect(TokenKind.RightParen, "Expected ')' after the date expression");
                    return date;
                case TokenKind.Identifier:
                    switch (token.Text)
                    {
                        case "NULL" or "null":
                            Advance();
                            return new Operand { Kind = OperandKind.Null };
                        case "EMPTY" or "empty":
                            Advance();
                            return new Operand { Kind = OperandKind.Empty };
                        case "WHITESPACES_ONLY" or "whitespaces_only":
                            Advance();
                            return new Operand { Kind = OperandKind.WhitespacesOnly };
                        case "now":
                            return ReadNow();
                        case "last" or "avg" or "median" or "min" or "max" or "sum" or "std" or "abs" or "index":
                            throw Error(token, "Dynamic expressions (last(), avg(), ...) apply only to numeric metrics");
                    }
                    break;
            }
            throw Error(token, "Expected a value such as a number, a quoted string, NULL or now()");
        }

        /// <summary>Sum: <c>term (('+' | '-') term)*</c>.</summary>
        private DynamicExpression ParseArithmetic()
        {
            var left = ParseTerm();
            while (Current.Kind is TokenKind.Plus or TokenKind.Minus)
            {
                var op = Current.Kind == TokenKind.Plus ? '+' : '-';
                Advance();
                left = Fold(new DynamicBinary(op, left, ParseTerm()));
            }
            return left;
        }

        private DynamicExpression ParseTerm()
        {
            var left = ParseFactor();
            while (Current.Kind is TokenKind.Star or TokenKind.Slash)
            {
                var op = Current.Kind == TokenKind.Star ? '*' : '/';
                Advance();
                left = Fold(new DynamicBinary(op, left, ParseFactor()));
            }
            return left;
        }

        private static DynamicExpression Fold(DynamicBinary binary) =>
            binary is { Left: DynamicNumber, Right: DynamicNumber } ? new DynamicNumber(binary.Evaluate([])) : binary;

        private DynamicExpression ParseFactor()
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.Number:
                    Advance();
                    return new DynamicNumber(ParseNumber(token));
                case TokenKind.Minus:
                    Advance();
                    var negated = ParseFactor();
                    return negated is DynamicNumber n ? new DynamicNumber(-n.Value) : new DynamicBinary('-', new DynamicNumber(0), negated);
                case TokenKind.LeftParen:
                    Advance();
                    var inner = ParseArithmetic();
                    Expect(TokenKind.RightParen, "Expected ')'");
                    return inner;
                case TokenKind.Identifier:
                    switch (token.Text)
                    {
                        case "last":
                            return ParseLast();
                        case "avg" or "median" or "min" or "max" or "sum" or "std":
                            Advance();
                            Expect(TokenKind.LeftParen, $"Expected '(' after '{token.Text}'");
                            if (!Current.IsIdentifier("last"))
                            {
                                throw Error(Current, $"Expected last(k) inside {token.Text}()");
                            }
                            var values = ParseLast();
                            Expect(TokenKind.RightParen, $"Expected ')' to close {token.Text}(");
                            return new DynamicAggregate(token.Text, values);
                        case "abs":
                            Advance();
                            Expect(TokenKind.LeftParen, "Expected '(' after 'abs'");
                            var argument = ParseArithmetic();
                            Expect(TokenKind.RightParen, "Expected ')' to close abs(");
                            return new DynamicAbs(argument);
                        case "index":
                            Advance();
                            Expect(TokenKind.LeftParen, "Expected '(' after 'index'");
                            if (!Current.IsIdentifier("last"))
                            {
                                throw Error(Current, "Expected last(k) as the first argument of index()");
                            }
                            var list = ParseLast();
                            Expect(TokenKind.Comma, "Expected ',' and a position in index(last(k), i)");
                            var position = Expect(TokenKind.Number, "Expected a whole number as the position of index()");
                            var at = ParseNumber(position);
                            if (at < 0 || at != Math.Floor(at) || at >= int.MaxValue)
                            {
                                throw Error(position, "The position of index() must be a whole number from 0");
                            }
                            Expect(TokenKind.RightParen, "Expected ')' to close index(");
                            return new DynamicIndex(list, (int)at);
                    }
                    break;
            }
            throw Error(token, "Expected a number or a dynamic expression such as avg(last(10))");
        }

        private DynamicLast ParseLast()
        {
            Advance();
            Expect(TokenKind.LeftParen, "Expected '(' after 'last'");
            var count = 1;
            if (Current.Kind == TokenKind.Number)
            {
                var token = Current;
                var value = ParseNumber(token);
                if (value < 1 || value != Math.Floor(value) || value > 1_000)
                {
                    throw Error(token, "last(k) takes a whole number k from 1 to 1000");
                }
                count = (int)value;
                Advance();
            }
            Expect(TokenKind.RightParen, "Expected ')' to close last(");
            return new DynamicLast(count);
        }

        private Operand NumberOrDuration(ExpressionKind kind, double number)
        {
            if (Current.Kind == TokenKind.Identifier && TryUnit(Current.Text, out var unit))
            {
                Advance();
                return new Operand { Kind = OperandKind.Duration, Duration = unit * number, Number = number };
            }
            if (kind == ExpressionKind.Duration)
            {
                throw Error(Current, "Expected a time unit ('days', 'hours' or 'minutes') after the number");
            }
            return new Operand { Kind = OperandKind.Number, Number = number };
        }

        private static bool TryUnit(string word, out TimeSpan unit)
        {
            unit = word switch
            {
                "days" or "day" => TimeSpan.FromDays(1),
                "hours" or "hour" => TimeSpan.FromHours(1),
                "minutes" or "minute" => TimeSpan.FromMinutes(1),
                _ => TimeSpan.Zero,
            };
            return unit != TimeSpan.Zero;
        }

        private Operand ReadNow()
        {
            Advance();
            Expect(TokenKind.LeftParen, "Expected '()' after 'now'");
            Expect(TokenKind.RightParen, "Expected ')' after 'now('");
            var offset = TimeSpan.Zero;
            if (Current.Kind is TokenKind.Minus or TokenKind.Plus)
            {
                var sign = Current.Kind == TokenKind.Minus ? -1 : 1;
                Advance();
                var amount = Expect(TokenKind.Number, "Expected a number after 'now() -'");
                if (Current.Kind != TokenKind.Identifier || !TryUnit(Current.Text, out var unit))
                {
                    throw Error(Current, "Expected a time unit ('days', 'hours' or 'minutes')");
                }
                Advance();
                offset = unit * (sign * ParseNumber(amount));
            }
            return new Operand { Kind = OperandKind.Date, Date = new DateExpression { OffsetFromNow = offset } };
        }

        private void Validate(ExpressionKind kind, ConditionOperator op, List<Token> tokens, List<Operand> operands)
        {
            switch (kind)
            {
                case ExpressionKind.Numeric:
                    for (var i = 0; i < operands.Count; i++)
                    {
                        operands[i] = AsNumber(operands[i], tokens[i]);
                    }
                    return;

                case ExpressionKind.Duration:
                    if (op is ConditionOperator.Matches or ConditionOperator.NotMatches)
                    {
                        throw Error(tokens[0], "'matches' applies only to ColumnValues");
                    }
                    for (var i = 0; i < operands.Count; i++)
                    {
                        if (operands[i].Kind != OperandKind.Duration)
                        {
                            throw Error(tokens[i], "Expected a duration such as '24 hours' or '3 days'");
                        }
                    }
                    return;

                case ExpressionKind.DataType:
                    if (op is not (ConditionOperator.Equal or ConditionOperator.NotEqual))
                    {
                        throw Error(tokens[0], "ColumnDataType takes '= \"Type\"' or '!= \"Type\"'");
                    }
                    var typeName = operands[0].Text;
                    var match = operands[0].Kind == OperandKind.String
                        ? DataTypeNames.FirstOrDefault(name => string.Equals(name, typeName, StringComparison.OrdinalIgnoreCase))
                        : null;
                    if (match is null)
                    {
                        throw Error(tokens[0], $"Unknown data type; expected one of {string.Join(", ", DataTypeNames)}");
                    }
                    operands[0] = operands[0] with { Text = match };
                    return;

                case ExpressionKind.Values:
                    if (op is ConditionOperator.Matches or ConditionOperator.NotMatches)
                    {
                        return;
                    }
                    ValidateValues(op, tokens, operands);
                    return;
            }
        }

        /// <summary>
        /// ColumnValues operands are all numbers, all strings (with keywords) or all dates (with NULL); a quoted
        /// <c>yyyy-MM-dd</c> is a date, as the reference grammar lexes it as a DATE token.
        /// </summary>
        private void ValidateValues(ConditionOperator op, List<Token> tokens, List<Operand> operands)
        {
            for (var i = 0; i < operands.Count; i++)
            {
                if (operands[i].Kind == OperandKind.String && TryParseDateLiteral(operands[i].Text!, out var date))
                {
                    operands[i] = new Operand { Kind = OperandKind.Date, Date = new DateExpression { Literal = date }, Text = operands[i].Text };
                }
            }

            var hasDate = operands.Any(o => o.Kind == OperandKind.Date);
            var hasNumber = operands.Any(o => o.Kind == OperandKind.Number);
            var ordering = op is ConditionOperator.GreaterThan or ConditionOperator.GreaterThanOrEqual or ConditionOperator.LessThan
                or ConditionOperator.LessThanOrEqual or ConditionOperator.Between or ConditionOperator.NotBetween;

            for (var i = 0; i < operands.Count; i++)
            {
                var operand = operands[i];
                if (operand.Kind == OperandKind.Duration)
                {
                    throw Error(tokens[i], "A duration needs now(), as in '> (now() - 3 days)'");
                }
                if (ordering)
                {
                    if (operand.Kind == OperandKind.String && double.TryParse(operand.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && !hasDate)
                    {
                        operands[i] = new Operand { Kind = OperandKind.Number, Number = number };
                        continue;
                    }
                    if (operand.Kind is not (OperandKind.Number or OperandKind.Date))
                    {
                        throw Error(tokens[i], "Expected a number or a date; comparisons do not apply to strings");
                    }
                }
                if (hasDate && operand.Kind is not (OperandKind.Date or OperandKind.Null))
                {
                    throw Error(tokens[i], "Expected a date; the other values of this expression are dates");
                }
                if (hasNumber && operand.Kind is not (OperandKind.Number or OperandKind.Null))
                {
                    throw Error(tokens[i], "Expected a number; the other values of this expression are numbers");
                }
            }
            if (hasDate && hasNumber)
            {
                throw Error(tokens[0], "Cannot mix dates and numbers in one expression");
            }
        }

        internal static bool TryParseDateLiteral(string text, out DateOnly date) =>
            DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

        private Operand AsNumber(Operand operand, Token token)
        {
            if (operand.Kind is OperandKind.Number or OperandKind.Dynamic)
            {
                return operand;
            }
            // The reference writes `Completeness "colA" = "1.0"`: a quoted number is a number.
            if (operand.Kind == OperandKind.String && double.TryParse(operand.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return new Operand { Kind = OperandKind.Number, Number = number };
            }
            throw Error(token, "Expected a number");
        }

        private void ValidateRegex(Token pattern)
        {
            try
            {
                _ = new Regex(pattern.Text, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException ex)
            {
                throw Error(pattern, $"Invalid regular expression: {ex.Message}");
            }
        }

        private string ReadStringValue(Token token)
        {
            if (token.Kind == TokenKind.String)
            {
                return token.Text;
            }
            if (token.Kind == TokenKind.Variable && _constants.TryGetValue(token.Text, out var value))
            {
                return value;
            }
            throw Error(token, $"Unknown constant '${token.Text}'");
        }

        private static double ParseNumber(Token token) => double.Parse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture);

        private static bool IsLogicalOperator(Token token, out LogicalOperator op)
        {
            if (token.Kind == TokenKind.Identifier)
            {
                switch (token.Text)
                {
                    case "and" or "AND":
                        op = LogicalOperator.And;
                        return true;
                    case "or" or "OR":
                        op = LogicalOperator.Or;
                        return true;
                }
            }
            op = default;
            return false;
        }

        private void Advance()
        {
            if (_position < _tokens.Count - 1)
            {
                _position++;
            }
        }

        private Token Expect(TokenKind kind, string message)
        {
            var token = Current;
            if (token.Kind != kind)
            {
                throw Error(token, message);
            }
            Advance();
            return token;
        }

        private string SourceText(Token first, Token last) => text[first.Start..last.End];

        private static DqdlParseException Error(Token token, string message) =>
            new(token.Kind == TokenKind.End ? message + " (reached the end of the ruleset)" : message, token.Line, token.Column);
    }
}
