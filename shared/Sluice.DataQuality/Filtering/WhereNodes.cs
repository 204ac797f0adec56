using System.Runtime.CompilerServices;

namespace Sluice.DataQuality.Filtering;

/// <summary>The typed values of one row's referenced columns, as a clause reads them.</summary>
internal readonly ref struct RowView(ReadOnlySpan<byte> json, ReadOnlySpan<byte> arena, ColumnValue[] values, int[] columnMap)
{
    private readonly ReadOnlySpan<byte> _json = json;
    private readonly ReadOnlySpan<byte> _arena = arena;

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

    /// <summary>The clause columns this node reads.</summary>
    public virtual IEnumerable<int> Columns() => [];
}

internal sealed class ColumnNode(int index) : WhereNode
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run) => row.Column(index, run);

    public override IEnumerable<int> Columns() => [index];
}

internal sealed class LiteralNode(SqlType type, long integer = 0, decimal @decimal = 0, double @double = 0, byte[]? text = null) : WhereNode
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run) => new()
    {
        Type = type,
        Integer = integer,
        Decimal = @decimal,
        Double = @double,
        Utf8 = text,
    };
}

internal sealed class NotNode(WhereNode operand) : WhereNode(operand)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run) => Logic.Not(operand.Evaluate(row, run), run);

    public override IEnumerable<int> Columns() => operand.Columns();
}

internal sealed class AndNode(WhereNode left, WhereNode right) : WhereNode(left, right)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run)
    {
        var a = left.Evaluate(row, run);
        var b = right.Evaluate(row, run);
        return Logic.And(a, b, run);
    }

    public override IEnumerable<int> Columns() => left.Columns().Concat(right.Columns());
}

internal sealed class OrNode(WhereNode left, WhereNode right) : WhereNode(left, right)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run) =>
        Logic.Not(Logic.And(Logic.Not(left.Evaluate(row, run), run), Logic.Not(right.Evaluate(row, run), run), run), run);

    public override IEnumerable<int> Columns() => left.Columns().Concat(right.Columns());
}

internal sealed class IsNullNode(WhereNode operand, bool negated) : WhereNode(operand)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override SqlValue Evaluate(in RowView row, ClauseRun run) => SqlValue.Bool(operand.Evaluate(row, run).IsNull != negated);

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

internal sealed class ComparisonNode(ComparisonOperator op, WhereNode left, WhereNode right) : WhereNode(left, right)
{
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
    public override SqlValue Evaluate(in RowView row, ClauseRun run)
    {
        var a = left.Evaluate(row, run);
        var b = right.Evaluate(row, run);
        return Compare(op, a, b, run);
    }

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
        return SqlValue.Bool(op switch
        {
            ComparisonOperator.Equal => order == 0,
            ComparisonOperator.NotEqual => order != 0,
            ComparisonOperator.Less => order < 0,
            ComparisonOperator.LessOrEqual => order <= 0,
            ComparisonOperator.Greater => order > 0,
            _ => order >= 0,
        });
    }

    public override IEnumerable<int> Columns() => left.Columns().Concat(right.Columns());
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
