using System.Runtime.CompilerServices;

namespace Sluice.DataQuality.Filtering;

/// <summary>The typed values of one row's referenced columns, as a clause reads them.</summary>
internal readonly ref struct RowView(ReadOnlySpan<byte> json, ReadOnlySpan<byte> arena, ColumnValue[] values, int[] columnMap)
{
    private readonly ReadOnlySpan<byte> _json = json;
    private readonly ReadOnlySpan<byte> _arena = arena;

    /// <summary>A column's value as classified, read in place (the fast paths of comparisons read it without a <see cref="SqlValue"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref readonly ColumnValue Value(int clauseColumn) => ref values[columnMap[clauseColumn]];

    /// <summary>The UTF-8 text of a VARCHAR value from <see cref="Value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> Text(in ColumnValue value) => (value.InArena ? _arena : _json).Slice(value.Start, value.Length);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public SqlValue Column(int clauseColumn, ClauseRun run)
    {
        ref readonly var value = ref values[columnMap[clauseColumn]];
        if (value.Unsure != UnsureValue.None)
        {
            run.Unsure(ColumnValue.Reasons[(int)value.Unsure]);
            return SqlValue.Null;
        }
        return value.Type switch
        {
            SqlType.Null => SqlValue.Null,
            SqlType.Varchar => SqlValue.Text(SqlType.Varchar, (value.InArena ? _arena : _json).Slice(value.Start, value.Length)),
            SqlType.Double => SqlValue.Dbl(value.Double),
            SqlType.Boolean => SqlValue.Bool(value.Integer != 0),
            _ => new SqlValue { Type = value.Type, Integer = value.Integer },
        };
    }
}

/// <summary>
/// One referenced column's value in the current row, typed as the DuckDB copy would type it (no object references:
/// it is written for every referenced column of every row).
/// </summary>
internal struct ColumnValue
{
    /// <summary>The messages of <see cref="UnsureValue"/>.</summary>
    public static readonly string[] Reasons = ["", "a nested value", "an integer beyond BIGINT", "a number beyond DOUBLE"];

    public SqlType Type;
    /// <summary>Why this value cannot be evaluated in process; None when it can.</summary>
    public UnsureValue Unsure;
    public bool InArena;
    public int Start;
    public int Length;
    public long Integer;
    public double Double;
}

internal enum UnsureValue : byte
{
    None,
    Nested,
    BeyondBigInt,
    BeyondDouble,
}

/// <summary>
/// A condition's three-valued result, or <see cref="NotBoolean"/>: the node's value is not a boolean, which the
/// caller reports (<see cref="Logic.NotBoolean"/>) at the point the value-based evaluation reported it, so the first
/// reason a clause gives for going to DuckDB stays the same.
/// </summary>
internal enum Truth : byte
{
    False,
    True,
    Null,
    NotBoolean,
}

/// <summary>The state of one clause's evaluation on one worker: set when a row needs what is not modelled.</summary>
internal sealed class ClauseRun
{
    /// <summary>The first reason met; the clause then goes to the SQL engine.</summary>
    public string? UnsureReason { get; private set; }

    public void Unsure(string reason) => UnsureReason ??= reason;
}

/// <summary>
/// A node of a where clause. Evaluation follows SQL's three-valued logic (a NULL operand makes comparisons and
/// arithmetic NULL; only TRUE selects a row) and DuckDB's typing; a combination whose DuckDB result is not modelled
/// (e.g. VARCHAR compared with a number, which DuckDB casts or refuses) reports itself through
/// <see cref="ClauseRun.Unsure"/> and the whole clause goes to DuckDB. Every operand is evaluated (no short
/// circuit), so no row's unmodelled case is hidden behind another operand's answer. The per-row methods are marked
/// AggressiveOptimization: an evaluation usually runs once in a process, and tiered compilation would leave most of
/// its pass in unoptimized code (measured: about 3x slower on the benchmark's 200,000 rows).
/// </summary>
internal abstract class WhereNode(params WhereNode[] children)
{
    /// <summary>Levels of nodes down to the deepest leaf (evaluation recurses that deep).</summary>
    public int Depth { get; } = 1 + children.Select(child => child.Depth).DefaultIfEmpty(0).Max();

    public abstract SqlValue Evaluate(in RowView row, ClauseRun run);

    /// <summary>
    /// The node as a condition: what <see cref="Evaluate"/> gives, without building a <see cref="SqlValue"/> where
    /// the node can tell more cheaply (conditions override it; the row filter calls it on each clause's root).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public virtual Truth Test(in RowView row, ClauseRun run) => Logic.ToTruth(Evaluate(row, run));

    /// <summary>The clause columns this node reads.</summary>
    public virtual IEnumerable<int> Columns() => [];
}

internal sealed class ColumnNode(int index) : WhereNode
{
    public int Index { get; } = index;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run) => row.Column(Index, run);

    public override IEnumerable<int> Columns() => [Index];
}

internal sealed class LiteralNode(SqlType type, long integer = 0, decimal @decimal = 0, double @double = 0, byte[]? text = null) : WhereNode
{
    public SqlType Type { get; } = type;
    public long Integer { get; } = integer;
    public decimal Decimal { get; } = @decimal;
    public double Double { get; } = @double;
    /// <summary>The value as a DOUBLE, for a numeric literal (how DuckDB compares it with a DOUBLE).</summary>
    public double AsDouble { get; } = type switch
    {
        SqlType.BigInt => integer,
        SqlType.Decimal => (double)@decimal,
        _ => @double,
    };
    /// <summary>The UTF-8 text of a quoted literal.</summary>
    public byte[]? Text { get; } = text;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run) => new()
    {
        Type = Type,
        Integer = Integer,
        Decimal = Decimal,
        Double = Double,
        Utf8 = Text,
    };
}

internal sealed class NotNode(WhereNode operand) : WhereNode(operand)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run) => Logic.ToValue(Test(row, run));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override Truth Test(in RowView row, ClauseRun run) => Logic.Reported(operand.Test(row, run), run) switch
    {
        Truth.True => Truth.False,
        Truth.False => Truth.True,
        _ => Truth.Null,
    };

    public override IEnumerable<int> Columns() => operand.Columns();
}

internal sealed class AndNode(WhereNode left, WhereNode right) : WhereNode(left, right)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run) => Logic.ToValue(Test(row, run));

    /// <summary>Both operands are evaluated (no short circuit); a non-boolean one is reported after both, as before.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override Truth Test(in RowView row, ClauseRun run)
    {
        var a = left.Test(row, run);
        var b = right.Test(row, run);
        if (a == Truth.NotBoolean || b == Truth.NotBoolean)
        {
            return Logic.Reported(Truth.NotBoolean, run);
        }
        if (a == Truth.False || b == Truth.False)
        {
            return Truth.False;
        }
        return a == Truth.Null || b == Truth.Null ? Truth.Null : Truth.True;
    }

    public override IEnumerable<int> Columns() => left.Columns().Concat(right.Columns());
}

internal sealed class OrNode(WhereNode left, WhereNode right) : WhereNode(left, right)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run) => Logic.ToValue(Test(row, run));

    /// <summary>TRUE wins over NULL, NULL over FALSE; a non-boolean operand is reported as soon as it is met.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override Truth Test(in RowView row, ClauseRun run)
    {
        var a = Logic.Reported(left.Test(row, run), run);
        var b = Logic.Reported(right.Test(row, run), run);
        if (a == Truth.True || b == Truth.True)
        {
            return Truth.True;
        }
        return a == Truth.Null || b == Truth.Null ? Truth.Null : Truth.False;
    }

    public override IEnumerable<int> Columns() => left.Columns().Concat(right.Columns());
}

internal sealed class IsNullNode(WhereNode operand, bool negated) : WhereNode(operand)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run) => Logic.ToValue(Test(row, run));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override Truth Test(in RowView row, ClauseRun run)
    {
        bool isNull;
        if (operand is ColumnNode column && row.Value(column.Index).Unsure == UnsureValue.None)
        {
            isNull = row.Value(column.Index).Type == SqlType.Null;
        }
        else
        {
            isNull = operand.Evaluate(row, run).IsNull;
        }
        return isNull != negated ? Truth.True : Truth.False;
    }

    public override IEnumerable<int> Columns() => operand.Columns();
}

internal enum ComparisonOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// <summary>
/// A comparison. A column compared with a literal (the usual clause) takes a fast path for the common typings
/// (VARCHAR with a quoted literal, numbers with numbers): it reads the column's classified value in place and the
/// literal's prepared forms, with the same result as the general path, which every other case takes.
/// </summary>
internal sealed class ComparisonNode : WhereNode
{
    private readonly ComparisonOperator _op;
    private readonly WhereNode _left;
    private readonly WhereNode _right;
    private readonly ColumnNode? _column;
    private readonly LiteralNode? _literal;
    private readonly bool _columnOnRight;

    public ComparisonNode(ComparisonOperator op, WhereNode left, WhereNode right) : base(left, right)
    {
        (_op, _left, _right) = (op, left, right);
        if (left is ColumnNode leftColumn && right is LiteralNode rightLiteral)
        {
            (_column, _literal) = (leftColumn, rightLiteral);
        }
        else if (left is LiteralNode leftLiteral && right is ColumnNode rightColumn)
        {
            (_column, _literal, _columnOnRight) = (rightColumn, leftLiteral, true);
        }
    }

    public static bool TryOperator(string symbol, out ComparisonOperator op)
    {
        op = symbol switch
        {
            "=" => ComparisonOperator.Equal,
            "<>" or "!=" => ComparisonOperator.NotEqual,
            "<" => ComparisonOperator.Less,
            "<=" => ComparisonOperator.LessOrEqual,
            ">" => ComparisonOperator.Greater,
            ">=" => ComparisonOperator.GreaterOrEqual,
            _ => (ComparisonOperator)(-1),
        };
        return (int)op >= 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run) => Logic.ToValue(Test(row, run));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override Truth Test(in RowView row, ClauseRun run)
    {
        if (_column is not null && TryColumnWithLiteral(row, out var truth))
        {
            return truth;
        }
        var a = _left.Evaluate(row, run);
        var b = _right.Evaluate(row, run);
        return Logic.ToTruth(Compare(_op, a, b, run));
    }

    /// <summary>
    /// Column against literal for the typings whose comparison is certain (no cast that could fail, nothing to
    /// report); false sends the row to the general path. The order is that of <see cref="Ordering.TryCompare"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryColumnWithLiteral(in RowView row, out Truth truth)
    {
        truth = Truth.Null;
        ref readonly var value = ref row.Value(_column!.Index);
        var literal = _literal!;
        if (value.Unsure != UnsureValue.None)
        {
            return false;
        }
        int order;
        switch (value.Type)
        {
            case SqlType.Null:
                // NULL compared with anything is NULL; evaluating a literal reports nothing.
                return true;
            case SqlType.Varchar when literal.Type == SqlType.StringLiteral:
                if (_op is ComparisonOperator.Equal or ComparisonOperator.NotEqual)
                {
                    truth = row.Text(value).SequenceEqual(literal.Text) == (_op == ComparisonOperator.Equal) ? Truth.True : Truth.False;
                    return true;
                }
                order = row.Text(value).SequenceCompareTo(literal.Text);
                break;
            case SqlType.BigInt when literal.Type == SqlType.BigInt:
                order = value.Integer.CompareTo(literal.Integer);
                break;
            case SqlType.BigInt when literal.Type == SqlType.Double:
                order = ((double)value.Integer).CompareTo(literal.Double);
                break;
            case SqlType.Double when literal.Type is SqlType.BigInt or SqlType.Decimal or SqlType.Double:
                order = value.Double.CompareTo(literal.AsDouble);
                break;
            default:
                return false;
        }
        order = Math.Sign(order);
        truth = Holds(_op, _columnOnRight ? -order : order) ? Truth.True : Truth.False;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Holds(ComparisonOperator op, int order) => op switch
    {
        ComparisonOperator.Equal => order == 0,
        ComparisonOperator.NotEqual => order != 0,
        ComparisonOperator.Less => order < 0,
        ComparisonOperator.LessOrEqual => order <= 0,
        ComparisonOperator.Greater => order > 0,
        _ => order >= 0,
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SqlValue Compare(ComparisonOperator op, scoped in SqlValue a, scoped in SqlValue b, ClauseRun run)
    {
        if (a.IsNull || b.IsNull)
        {
            return SqlValue.Null;
        }
        if (!Ordering.TryCompare(a, b, out var order, run))
        {
            return SqlValue.Null;
        }
        return SqlValue.Bool(Holds(op, order));
    }

    public override IEnumerable<int> Columns() => _left.Columns().Concat(_right.Columns());
}

/// <summary><c>x BETWEEN a AND b</c> is <c>x &gt;= a AND x &lt;= b</c> (inclusive, unlike DQDL's own between).</summary>
internal sealed class BetweenNode(WhereNode operand, WhereNode low, WhereNode high, bool negated) : WhereNode(operand, low, high)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run)
    {
        var value = operand.Evaluate(row, run);
        var result = Logic.And(
            ComparisonNode.Compare(ComparisonOperator.GreaterOrEqual, value, low.Evaluate(row, run), run),
            ComparisonNode.Compare(ComparisonOperator.LessOrEqual, value, high.Evaluate(row, run), run), run);
        return negated ? Logic.Not(result, run) : result;
    }

    public override IEnumerable<int> Columns() => operand.Columns().Concat(low.Columns()).Concat(high.Columns());
}

/// <summary><c>x IN (a, b)</c>: TRUE on a match, else NULL if x or an item is NULL, else FALSE.</summary>
internal sealed class InNode(WhereNode operand, WhereNode[] items, bool negated) : WhereNode([operand, .. items])
{
    // A column against a list of quoted literals, or of integer literals: a match is a byte-wise or integer equality
    // and no item is NULL, so the answer is TRUE or FALSE (NULL for a NULL value) with nothing to report.
    private readonly ColumnNode? _column = operand as ColumnNode;
    private readonly byte[][]? _texts = items.Length > 0 && items.All(item => item is LiteralNode { Type: SqlType.StringLiteral })
        ? [.. items.Select(item => ((LiteralNode)item).Text!)]
        : null;
    private readonly long[]? _integers = items.Length > 0 && items.All(item => item is LiteralNode { Type: SqlType.BigInt })
        ? [.. items.Select(item => ((LiteralNode)item).Integer)]
        : null;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override Truth Test(in RowView row, ClauseRun run)
    {
        if (_column is not null && (_texts is not null || _integers is not null))
        {
            ref readonly var value = ref row.Value(_column.Index);
            if (value.Unsure == UnsureValue.None)
            {
                switch (value.Type)
                {
                    case SqlType.Null:
                        return Truth.Null;
                    case SqlType.Varchar when _texts is not null:
                        var text = row.Text(value);
                        var found = false;
                        foreach (var item in _texts)
                        {
                            found |= text.SequenceEqual(item);
                        }
                        return found != negated ? Truth.True : Truth.False;
                    case SqlType.BigInt when _integers is not null:
                        return _integers.AsSpan().Contains(value.Integer) != negated ? Truth.True : Truth.False;
                }
            }
        }
        return Logic.ToTruth(Evaluate(row, run));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run)
    {
        var value = operand.Evaluate(row, run);
        var found = false;
        var sawNull = false;
        foreach (var item in items)
        {
            var equal = ComparisonNode.Compare(ComparisonOperator.Equal, value, item.Evaluate(row, run), run);
            found |= equal.IsTrue;
            sawNull |= equal.IsNull;
        }
        var result = found ? SqlValue.Bool(true) : sawNull ? SqlValue.Null : SqlValue.Bool(false);
        return negated ? Logic.Not(result, run) : result;
    }

    public override IEnumerable<int> Columns() => operand.Columns().Concat(items.SelectMany(item => item.Columns()));
}

internal sealed class LikeNode(WhereNode operand, LikePattern pattern, bool negated) : WhereNode(operand)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run)
    {
        var value = operand.Evaluate(row, run);
        if (value.IsNull)
        {
            return SqlValue.Null;
        }
        if (value.Type is not (SqlType.Varchar or SqlType.StringLiteral))
        {
            run.Unsure("LIKE on a value that is not a string");
            return SqlValue.Null;
        }
        if (pattern.IgnoreCase && !System.Text.Ascii.IsValid(value.Utf8))
        {
            run.Unsure("ILIKE on a non-ASCII value");
            return SqlValue.Null;
        }
        return SqlValue.Bool(pattern.Matches(value.Utf8) != negated);
    }

    public override IEnumerable<int> Columns() => operand.Columns();
}

internal sealed class NegateNode(WhereNode operand) : WhereNode(operand)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run)
    {
        var value = operand.Evaluate(row, run);
        switch (value.Type)
        {
            case SqlType.Null:
                return value;
            case SqlType.BigInt when value.Integer != long.MinValue:
                return SqlValue.BigInt(-value.Integer);
            case SqlType.Decimal:
                return SqlValue.Dec(-value.Decimal);
            case SqlType.Double:
                return SqlValue.Dbl(-value.Double);
            default:
                run.Unsure("minus on a value that is not a number");
                return SqlValue.Null;
        }
    }

    public override IEnumerable<int> Columns() => operand.Columns();
}

/// <summary>
/// + - * / % as DuckDB types them: BIGINT with BIGINT stays BIGINT (/ is a DOUBLE division, % by 0 is NULL),
/// DECIMAL with BIGINT or DECIMAL is exact (C# decimal), anything with DOUBLE is DOUBLE. Overflow, division by zero
/// and non-finite results are left to DuckDB.
/// </summary>
internal sealed class ArithmeticNode(char op, WhereNode left, WhereNode right) : WhereNode(left, right)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run)
    {
        var a = left.Evaluate(row, run);
        var b = right.Evaluate(row, run);
        if (!a.IsNumeric && !a.IsNull || !b.IsNumeric && !b.IsNull)
        {
            run.Unsure("arithmetic on a value that is not a number");
            return SqlValue.Null;
        }
        if (a.IsNull || b.IsNull)
        {
            return SqlValue.Null;
        }
        if (a.Type == SqlType.Double || b.Type == SqlType.Double || op == '/')
        {
            double x = a.AsDouble(), y = b.AsDouble();
            if (y == 0 && op is '/' or '%')
            {
                run.Unsure("division by zero");
                return SqlValue.Null;
            }
            var result = op switch
            {
                '+' => x + y,
                '-' => x - y,
                '*' => x * y,
                '/' => x / y,
                _ => x % y,
            };
            if (!double.IsFinite(result))
            {
                run.Unsure("a DOUBLE overflow");
                return SqlValue.Null;
            }
            return SqlValue.Dbl(result);
        }
        try
        {
            if (a.Type == SqlType.BigInt && b.Type == SqlType.BigInt)
            {
                if (op == '%')
                {
                    return b.Integer == 0 ? SqlValue.Null : b.Integer == -1 ? SqlValue.BigInt(0) : SqlValue.BigInt(a.Integer % b.Integer);
                }
                return SqlValue.BigInt(op switch
                {
                    '+' => checked(a.Integer + b.Integer),
                    '-' => checked(a.Integer - b.Integer),
                    _ => checked(a.Integer * b.Integer),
                });
            }
            decimal p = a.Type == SqlType.BigInt ? a.Integer : a.Decimal, q = b.Type == SqlType.BigInt ? b.Integer : b.Decimal;
            if (op == '%' && q == 0)
            {
                run.Unsure("DECIMAL modulo by zero");
                return SqlValue.Null;
            }
            var exact = op switch
            {
                '+' => p + q,
                '-' => p - q,
                '*' => p * q,
                _ => p % q,
            };
            if (exact.Scale > 18)
            {
                run.Unsure("a DECIMAL result beyond DuckDB's scale");
                return SqlValue.Null;
            }
            return SqlValue.Dec(exact);
        }
        catch (OverflowException)
        {
            // DuckDB widens BIGINT arithmetic that overflows (to HUGEINT); not modelled.
            run.Unsure("an integer overflow");
            return SqlValue.Null;
        }
    }

    public override IEnumerable<int> Columns() => left.Columns().Concat(right.Columns());
}

internal static class Logic
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Truth ToTruth(scoped in SqlValue value) => value.Type switch
    {
        SqlType.Null => Truth.Null,
        SqlType.Boolean => value.Integer != 0 ? Truth.True : Truth.False,
        _ => Truth.NotBoolean,
    };

    /// <summary>The value of a condition's result (never <see cref="Truth.NotBoolean"/>: reported by then).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SqlValue ToValue(Truth truth) => truth switch
    {
        Truth.True => SqlValue.Bool(true),
        Truth.False => SqlValue.Bool(false),
        _ => SqlValue.Null,
    };

    /// <summary>Reports a non-boolean condition (then NULL); other results pass through.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Truth Reported(Truth truth, ClauseRun run)
    {
        if (truth == Truth.NotBoolean)
        {
            NotBoolean(run);
            return Truth.Null;
        }
        return truth;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SqlValue Not(scoped in SqlValue value, ClauseRun run) => value.Type switch
    {
        SqlType.Null => value,
        SqlType.Boolean => SqlValue.Bool(value.Integer == 0),
        _ => NotBoolean(run),
    };

    /// <summary>FALSE wins over NULL, NULL over TRUE.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SqlValue And(scoped in SqlValue a, scoped in SqlValue b, ClauseRun run)
    {
        if (a.Type is not (SqlType.Null or SqlType.Boolean) || b.Type is not (SqlType.Null or SqlType.Boolean))
        {
            return NotBoolean(run);
        }
        if (a.Type == SqlType.Boolean && a.Integer == 0 || b.Type == SqlType.Boolean && b.Integer == 0)
        {
            return SqlValue.Bool(false);
        }
        return a.IsNull || b.IsNull ? SqlValue.Null : SqlValue.Bool(true);
    }

    /// <summary>DuckDB casts a non-boolean used as a condition (numbers, 'true'); not modelled.</summary>
    public static SqlValue NotBoolean(ClauseRun run)
    {
        run.Unsure("a condition that is not a boolean");
        return SqlValue.Null;
    }
}

/// <summary>Orders two non-null values the way DuckDB compares them after its implicit casts.</summary>
internal static class Ordering
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryCompare(scoped in SqlValue a, scoped in SqlValue b, out int order, ClauseRun run)
    {
        order = 0;
        // A quoted literal takes the type of the other side (DuckDB casts it); two literals compare as text.
        if (a.Type == SqlType.StringLiteral && b.Type != SqlType.StringLiteral)
        {
            if (!TryCompare(b, a, out order, run))
            {
                return false;
            }
            order = -order;
            return true;
        }
        switch (a.Type)
        {
            case SqlType.Varchar or SqlType.StringLiteral when b.Type is SqlType.Varchar or SqlType.StringLiteral:
                // Binary collation: UTF-8 byte order is code point order.
                order = a.Utf8.SequenceCompareTo(b.Utf8);
                return true;
            case SqlType.BigInt when b.Type == SqlType.BigInt:
                order = a.Integer.CompareTo(b.Integer);
                return true;
            case SqlType.BigInt or SqlType.Decimal when b.Type is SqlType.BigInt or SqlType.Decimal:
                order = (a.Type == SqlType.BigInt ? a.Integer : a.Decimal).CompareTo(b.Type == SqlType.BigInt ? b.Integer : b.Decimal);
                return true;
            case SqlType.BigInt or SqlType.Decimal or SqlType.Double when b.IsNumeric:
                order = a.AsDouble().CompareTo(b.AsDouble());
                return true;
            case SqlType.BigInt when b.Type == SqlType.StringLiteral && LiteralCasts.TryBigInt(b.Utf8, out var integer):
                order = a.Integer.CompareTo(integer);
                return true;
            case SqlType.Double when b.Type == SqlType.StringLiteral && LiteralCasts.TryDouble(b.Utf8, out var number):
                order = a.Double.CompareTo(number);
                return true;
            case SqlType.Boolean when b.Type == SqlType.Boolean:
                order = a.Integer.CompareTo(b.Integer);
                return true;
            case SqlType.Boolean when b.Type == SqlType.StringLiteral && LiteralCasts.TryBoolean(b.Utf8, out var flag):
                order = a.Integer.CompareTo(flag ? 1L : 0L);
                return true;
            case SqlType.Date or SqlType.Timestamp when b.Type is SqlType.Date or SqlType.Timestamp:
                order = Micros(a).CompareTo(Micros(b));
                return true;
            case SqlType.Date when b.Type == SqlType.StringLiteral && IsoTemporal.TryDate(b.Utf8, out var days):
                order = a.Integer.CompareTo(days);
                return true;
            case SqlType.Timestamp when b.Type == SqlType.StringLiteral && IsoTemporal.TryTimestampLiteral(b.Utf8, out var micros):
                order = a.Integer.CompareTo(micros);
                return true;
            default:
                run.Unsure($"a comparison of {Describe(a.Type)} with {Describe(b.Type)}");
                return false;
        }
    }

    private static long Micros(SqlValue value) => value.Type == SqlType.Date ? value.Integer * IsoTemporal.MicrosPerDay : value.Integer;

    private static string Describe(SqlType type) => type == SqlType.StringLiteral ? "a quoted literal" : type.ToString().ToUpperInvariant();
}
