using System.Globalization;
using System.Text;

namespace Sluice.DataQuality.Filtering;

/// <summary>
/// Parses the part of DuckDB's SQL expression syntax that <see cref="WhereClause"/> evaluates in process: comparisons,
/// AND/OR/NOT, IS [NOT] NULL, [NOT] BETWEEN, [NOT] IN (...), [NOT] LIKE/ILIKE [ESCAPE], + - * / %, unary minus,
/// parentheses, column names (bare or double-quoted), numbers, quoted strings, NULL, TRUE, FALSE, DATE '...' and
/// TIMESTAMP '...'. Precedence is PostgreSQL's, which DuckDB's parser follows (from tightest): unary minus; * / %;
/// + -; BETWEEN IN LIKE ILIKE; comparisons (not chained); IS; NOT; AND; OR. Anything else (functions, casts,
/// CASE, subqueries, comments, keywords used as names, literals whose DuckDB type is in doubt) is outside the subset:
/// the clause then runs on the SQL engine, which also gives the syntax errors.
/// </summary>
internal sealed class WhereParser
{
    /// <summary>Most significant digits of a literal with a fraction: within them a DECIMAL literal and its DOUBLE agree on order.</summary>
    private const int MaxDecimalDigits = 15;

    /// <summary>Longest clause evaluated in process; the SQL engine refuses longer ones with its own message.</summary>
    private const int MaxLength = 8192;

    /// <summary>Deepest nesting accepted (each level is a recursive call).</summary>
    private const int MaxDepth = 128;

    /// <summary>
    /// Words that DuckDB (PostgreSQL's grammar) reserves or gives a meaning that this subset does not model; as a bare
    /// name they send the clause to DuckDB, which decides what they mean there.
    /// </summary>
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "all", "analyse", "analyze", "and", "any", "anti", "array", "as", "asc", "asof", "asymmetric", "at", "authorization",
        "between", "bigint", "binary", "bit", "boolean", "both", "by", "case", "cast", "char", "character", "check", "coalesce",
        "collate", "collation", "column", "columns", "concurrently", "constraint", "create", "cross", "current_catalog",
        "current_date", "current_role", "current_schema", "current_time", "current_timestamp", "current_user", "date", "dec",
        "decimal", "default", "deferrable", "desc", "describe", "distinct", "do", "double", "else", "end", "escape", "except", "exists",
        "extract", "false", "fetch", "filter", "float", "for", "foreign", "freeze", "from", "full", "generated", "glob", "grant",
        "greatest", "group", "grouping", "having", "ilike", "in", "initially", "inner", "inout", "int", "integer", "intersect",
        "interval", "into", "is", "isnull", "join", "lambda", "lateral", "leading", "least", "left", "like", "limit",
        "localtime", "localtimestamp", "map", "national", "natural", "nchar", "none", "not", "notnull", "null", "nullif",
        "numeric", "offset", "on", "only", "or", "order", "out", "outer", "over", "overlaps", "overlay", "pivot", "pivot_longer",
        "pivot_wider", "placing", "position", "positional", "precision", "primary", "qualify", "real", "references", "returning",
        "right", "row", "select", "semi", "session_user", "setof", "show", "similar", "smallint", "some", "struct", "substring",
        "summarize", "symmetric", "table", "tablesample", "then", "time", "timestamp", "to", "trailing", "treat", "trim", "true",
        "try_cast", "union", "unique", "unpivot", "user", "using", "values", "varchar", "variadic", "verbose", "when", "where",
        "window", "with", "within", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces",
        "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable",
    };

    private readonly List<Token> _tokens;
    private readonly List<string> _columns = [];
    private readonly HashSet<int> _arithmeticColumns = [];
    private int _next;
    private int _depth;

    private WhereParser(List<Token> tokens) => _tokens = tokens;

    /// <summary>The clause as an expression tree, or null with the reason it is outside the subset.</summary>
    public static WhereClause? TryParse(string text, out string? reason)
    {
        if (text.Length > MaxLength)
        {
            reason = $"longer than {MaxLength} characters";
            return null;
        }
        try
        {
            var parser = new WhereParser(Lex(text));
            var root = parser.Or();
            if (parser.Peek.Kind != TokenKind.End)
            {
                throw new OutsideSubset($"'{parser.Peek.Text}' where the clause should end");
            }
            if (root.Depth > MaxDepth)
            {
                throw new OutsideSubset($"nested deeper than {MaxDepth} levels");
            }
            reason = null;
            return new WhereClause(text, root, parser._columns, [.. parser._columns.Select((_, i) => parser._arithmeticColumns.Contains(i))]);
        }
        catch (OutsideSubset outside)
        {
            reason = outside.Message;
            return null;
        }
    }

    private Token Peek => _tokens[_next];

    private Token Take() => _tokens[_next++];

    private bool TakeKeyword(string keyword)
    {
        if (Peek.IsKeyword(keyword))
        {
            _next++;
            return true;
        }
        return false;
    }

    private bool TakeSymbol(string symbol)
    {
        if (Peek.Kind == TokenKind.Symbol && Peek.Text == symbol)
        {
            _next++;
            return true;
        }
        return false;
    }

    private void Expect(string symbol)
    {
        if (!TakeSymbol(symbol))
        {
            throw new OutsideSubset($"expected '{symbol}', found '{Peek.Text}'");
        }
    }

    private WhereNode Or()
    {
        Enter();
        var left = And();
        while (TakeKeyword("or"))
        {
            left = new OrNode(left, And());
        }
        _depth--;
        return left;
    }

    /// <summary>Bounds the parser's recursion (the tree's depth is checked once it is built).</summary>
    private void Enter()
    {
        if (++_depth > MaxDepth)
        {
            throw new OutsideSubset($"nested deeper than {MaxDepth} levels");
        }
    }

    private WhereNode And()
    {
        var left = Not();
        while (TakeKeyword("and"))
        {
            left = new AndNode(left, Not());
        }
        return left;
    }

    private WhereNode Not()
    {
        if (TakeKeyword("not"))
        {
            Enter();
            var operand = Not();
            _depth--;
            return new NotNode(operand);
        }
        return Is();
    }

    private WhereNode Is()
    {
        var operand = Comparison();
        while (TakeKeyword("is"))
        {
            var negated = TakeKeyword("not");
            if (!TakeKeyword("null"))
            {
                throw new OutsideSubset($"IS {(negated ? "NOT " : "")}{Peek.Text}");
            }
            operand = new IsNullNode(operand, negated);
        }
        return operand;
    }

    private WhereNode Comparison()
    {
        var left = Predicate();
        if (Peek.Kind == TokenKind.Symbol && ComparisonNode.TryOperator(Peek.Text, out var op))
        {
            _next++;
            var right = Predicate();
            if (Peek.Kind == TokenKind.Symbol && ComparisonNode.TryOperator(Peek.Text, out _))
            {
                throw new OutsideSubset("chained comparison");
            }
            return new ComparisonNode(op, left, right);
        }
        return left;
    }

    private WhereNode Predicate()
    {
        var operand = Additive();
        var negated = false;
        if (Peek.IsKeyword("not") && _tokens[_next + 1] is { Kind: TokenKind.Word } next
            && (next.IsKeyword("between") || next.IsKeyword("in") || next.IsKeyword("like") || next.IsKeyword("ilike")))
        {
            _next++;
            negated = true;
        }
        if (TakeKeyword("between"))
        {
            var low = Additive();
            if (!TakeKeyword("and"))
            {
                throw new OutsideSubset("BETWEEN without AND");
            }
            return Unchained(new BetweenNode(operand, low, Additive(), negated));
        }
        if (TakeKeyword("in"))
        {
            Expect("(");
            var items = new List<WhereNode> { Or() };
            while (TakeSymbol(","))
            {
                items.Add(Or());
            }
            Expect(")");
            return Unchained(new InNode(operand, [.. items], negated));
        }
        var ignoreCase = Peek.IsKeyword("ilike");
        if (TakeKeyword("like") || TakeKeyword("ilike"))
        {
            if (Peek.Kind != TokenKind.String)
            {
                throw new OutsideSubset("LIKE with a pattern that is not a quoted string");
            }
            var pattern = Take().Text;
            string? escape = null;
            if (TakeKeyword("escape"))
            {
                if (Peek.Kind != TokenKind.String || Peek.Text.Length > 1)
                {
                    throw new OutsideSubset("ESCAPE that is not one quoted character");
                }
                escape = Take().Text;
            }
            var compiled = LikePattern.TryCompile(pattern, escape is { Length: 1 } ? escape[0] : null, ignoreCase)
                ?? throw new OutsideSubset($"LIKE pattern '{pattern}'");
            return Unchained(new LikeNode(operand, compiled, negated));
        }
        if (negated)
        {
            throw new OutsideSubset("NOT after an operand");
        }
        return operand;
    }

    /// <summary>BETWEEN, IN and LIKE do not chain in PostgreSQL's grammar.</summary>
    private WhereNode Unchained(WhereNode node)
    {
        if (Peek.IsKeyword("between") || Peek.IsKeyword("in") || Peek.IsKeyword("like") || Peek.IsKeyword("ilike") || Peek.IsKeyword("not"))
        {
            throw new OutsideSubset($"'{Peek.Text}' after a predicate");
        }
        return node;
    }

    private WhereNode Additive()
    {
        var left = Multiplicative();
        while (Peek.Kind == TokenKind.Symbol && Peek.Text is "+" or "-")
        {
            var op = Take().Text[0];
            left = new ArithmeticNode(op, MarkArithmetic(left), MarkArithmetic(Multiplicative()));
        }
        return left;
    }

    private WhereNode Multiplicative()
    {
        var left = Unary();
        while (Peek.Kind == TokenKind.Symbol && Peek.Text is "*" or "/" or "%")
        {
            var op = Take().Text[0];
            left = new ArithmeticNode(op, MarkArithmetic(left), MarkArithmetic(Unary()));
        }
        return left;
    }

    private WhereNode Unary()
    {
        if (Peek.Kind == TokenKind.Symbol && Peek.Text is "-" or "+")
        {
            var minus = Take().Text == "-";
            Enter();
            var operand = MarkArithmetic(Unary());
            _depth--;
            return minus ? new NegateNode(operand) : operand;
        }
        return Primary();
    }

    /// <summary>
    /// Notes the columns that feed arithmetic: there a JSON integer in a column that also holds fractions computes
    /// differently (BIGINT in process, DOUBLE in DuckDB's column), so such a column sends the clause to DuckDB.
    /// </summary>
    private WhereNode MarkArithmetic(WhereNode node)
    {
        foreach (var column in node.Columns())
        {
            _arithmeticColumns.Add(column);
        }
        return node;
    }

    private WhereNode Primary()
    {
        var token = Take();
        switch (token.Kind)
        {
            case TokenKind.Symbol when token.Text == "(":
                var inner = Or();
                Expect(")");
                return inner;
            case TokenKind.Number:
                return NumberLiteral(token.Text);
            case TokenKind.String:
                return new LiteralNode(SqlType.StringLiteral, text: Encoding.UTF8.GetBytes(token.Text));
            case TokenKind.QuotedName:
                return Column(token.Text);
            case TokenKind.Word:
                if (token.IsKeyword("null"))
                {
                    return new LiteralNode(SqlType.Null);
                }
                if (token.IsKeyword("true") || token.IsKeyword("false"))
                {
                    return new LiteralNode(SqlType.Boolean, integer: token.IsKeyword("true") ? 1 : 0);
                }
                if ((token.IsKeyword("date") || token.IsKeyword("timestamp")) && Peek.Kind == TokenKind.String)
                {
                    return TypedLiteral(token.IsKeyword("date"), Take().Text);
                }
                if (Keywords.Contains(token.Text))
                {
                    throw new OutsideSubset($"the keyword {token.Text.ToUpperInvariant()}");
                }
                if (Peek.Kind == TokenKind.Symbol && Peek.Text is "(" or ".")
                {
                    throw new OutsideSubset(Peek.Text == "(" ? $"the function {token.Text}" : $"the qualified name {token.Text}.");
                }
                return Column(token.Text);
            default:
                throw new OutsideSubset(token.Kind == TokenKind.End ? "an incomplete expression" : $"'{token.Text}'");
        }
    }

    private ColumnNode Column(string name)
    {
        if (Peek.Kind == TokenKind.Symbol && Peek.Text is "." or "(")
        {
            throw new OutsideSubset($"'{Peek.Text}' after the name {name}");
        }
        // DuckDB resolves names without regard to ASCII case, quoted or not: "Status" and status are one column.
        var index = _columns.FindIndex(known => AsciiEqualsIgnoreCase(known, name));
        if (index < 0)
        {
            _columns.Add(name);
            index = _columns.Count - 1;
        }
        return new ColumnNode(index);
    }

    private static LiteralNode NumberLiteral(string text)
    {
        if (text.Contains('e', StringComparison.OrdinalIgnoreCase))
        {
            // An exponent makes a DOUBLE literal in DuckDB (1e3).
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
                ? new LiteralNode(SqlType.Double, @double: number)
                : throw new OutsideSubset($"the number {text}");
        }
        if (!text.Contains('.', StringComparison.Ordinal))
        {
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var integer)
                ? new LiteralNode(SqlType.BigInt, integer: integer)
                : throw new OutsideSubset($"the integer {text}, beyond BIGINT");
        }
        var digits = text.Replace(".", "", StringComparison.Ordinal).TrimStart('0').Length;
        if (digits > MaxDecimalDigits || !decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            throw new OutsideSubset($"the number {text}, with more than {MaxDecimalDigits} significant digits");
        }
        return new LiteralNode(SqlType.Decimal, @decimal: value);
    }

    private static LiteralNode TypedLiteral(bool date, string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        if (date)
        {
            return IsoTemporal.TryDate(utf8, out var days)
                ? new LiteralNode(SqlType.Date, integer: days)
                : throw new OutsideSubset($"DATE '{text}' (only yyyy-MM-dd is evaluated in process)");
        }
        return IsoTemporal.TryTimestampLiteral(utf8, out var micros)
            ? new LiteralNode(SqlType.Timestamp, integer: micros)
            : throw new OutsideSubset($"TIMESTAMP '{text}' (only yyyy-MM-dd[ HH:mm:ss[.ffffff]] is evaluated in process)");
    }

    internal static bool AsciiEqualsIgnoreCase(string a, string b) => a.Length == b.Length && Ascii.EqualsIgnoreCase(a, b) || a == b;

    private static List<Token> Lex(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                i++;
                continue;
            }
            var start = i;
            if (char.IsAsciiLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }
                if (i < text.Length && (text[i] == '\'' || text[i] == '$' || text[i] > 127))
                {
                    // E'..', name$1, non-ASCII letters in a bare name: DuckDB's lexer rules, not modelled here.
                    if (text[i] != '\'' || !(text[start..i].Equals("date", StringComparison.OrdinalIgnoreCase) || text[start..i].Equals("timestamp", StringComparison.OrdinalIgnoreCase)))
                    {
                        throw new OutsideSubset($"'{text[start..Math.Min(text.Length, i + 1)]}'");
                    }
                }
                tokens.Add(new Token(TokenKind.Word, text[start..i]));
                continue;
            }
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    i++;
                }
                if (i < text.Length && text[i] == '.')
                {
                    i++;
                    while (i < text.Length && char.IsAsciiDigit(text[i]))
                    {
                        i++;
                    }
                }
                if (i < text.Length && text[i] is 'e' or 'E')
                {
                    i++;
                    if (i < text.Length && text[i] is '+' or '-')
                    {
                        i++;
                    }
                    var digits = i;
                    while (i < text.Length && char.IsAsciiDigit(text[i]))
                    {
                        i++;
                    }
                    if (digits == i)
                    {
                        throw new OutsideSubset($"the number {text[start..i]}");
                    }
                }
                if (i < text.Length && (char.IsLetter(text[i]) || text[i] is '_' or '.'))
                {
                    throw new OutsideSubset($"the number {text[start..(i + 1)]}");
                }
                tokens.Add(new Token(TokenKind.Number, text[start..i]));
                continue;
            }
            if (c is '\'' or '"')
            {
                var value = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new OutsideSubset("an unterminated quote");
                    }
                    if (text[i] == c)
                    {
                        if (i + 1 < text.Length && text[i + 1] == c)
                        {
                            value.Append(c);
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    value.Append(text[i++]);
                }
                if (c == '"' && value.Length == 0)
                {
                    throw new OutsideSubset("an empty quoted name");
                }
                tokens.Add(new Token(c == '\'' ? TokenKind.String : TokenKind.QuotedName, value.ToString()));
                continue;
            }
            var two = i + 1 < text.Length ? text.Substring(i, 2) : "";
            if (two is "<=" or ">=" or "<>" or "!=")
            {
                tokens.Add(new Token(TokenKind.Symbol, two));
                i += 2;
                continue;
            }
            if (two is "--" or "/*" or "//" or "**" or "||" or "::" or "==" or "<<" or ">>" or "->" or "!~" or "~~")
            {
                throw new OutsideSubset($"'{two}'");
            }
            if (c is '=' or '<' or '>' or '+' or '-' or '*' or '/' or '%' or '(' or ')' or ',')
            {
                tokens.Add(new Token(TokenKind.Symbol, c.ToString()));
                i++;
                continue;
            }
            throw new OutsideSubset($"'{c}'");
        }
        tokens.Add(new Token(TokenKind.End, "end of clause"));
        tokens.Add(new Token(TokenKind.End, "end of clause"));
        return tokens;
    }

    private enum TokenKind
    {
        Word,
        QuotedName,
        Number,
        String,
        Symbol,
        End,
    }

    private readonly record struct Token(TokenKind Kind, string Text)
    {
        public bool IsKeyword(string keyword) => Kind == TokenKind.Word && Text.Equals(keyword, StringComparison.OrdinalIgnoreCase);
    }

    private sealed class OutsideSubset(string message) : Exception(message);
}
