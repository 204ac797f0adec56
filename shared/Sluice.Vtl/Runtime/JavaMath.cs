using System.Numerics;

namespace Sluice.Vtl.Runtime;

/// <summary>
/// Velocity 1.7's MathUtils: integers are computed as long and narrowed back to the wider operand's type
/// (Integer stays Integer while it fits), overflow of long widens to BigInteger, any double makes a double,
/// decimals (Java BigDecimal) win over everything.
/// </summary>
internal static class JavaMath
{
    private enum Base
    {
        Long,
        Double,
        BigInteger,
        Decimal,
    }

    public static bool IsNumber(object? v) => v is int or long or double or float or decimal or BigInteger or short or byte or sbyte or ushort or uint;

    private static bool IsInteger(object v) => v is int or long or BigInteger or short or byte or sbyte or ushort or uint;

    /// <summary>Rank in Java's Byte &lt; Short &lt; Integer &lt; Long list; small C# types count as Integer.</summary>
    private static int Rank(object v) => v switch
    {
        long or uint => 3,
        BigInteger => -1,
        _ => 2,
    };

    private static Base CalculationBase(object a, object b)
    {
        var aInt = IsInteger(a);
        var bInt = IsInteger(b);
        if (a is decimal || b is decimal || ((!aInt || !bInt) && (a is BigInteger || b is BigInteger)))
        {
            return Base.Decimal;
        }

        if (aInt && bInt)
        {
            return a is BigInteger || b is BigInteger ? Base.BigInteger : Base.Long;
        }

        return Base.Double;
    }

    public static long LongValue(object v) => v switch
    {
        int i => i,
        long l => l,
        double d => SaturateLong(d),
        float f => SaturateLong(f),
        decimal m => (long)decimal.Truncate(Math.Clamp(m, long.MinValue, long.MaxValue)),
        BigInteger b => (long)(ulong)(b & ulong.MaxValue),
        _ => Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture),
    };

    public static int IntValue(object v) => v switch
    {
        int i => i,
        double d => double.IsNaN(d) ? 0 : d >= int.MaxValue ? int.MaxValue : d <= int.MinValue ? int.MinValue : (int)d,
        float f => IntValue((double)f),
        _ => unchecked((int)LongValue(v)),
    };

    public static double DoubleValue(object v) => v switch
    {
        int i => i,
        long l => l,
        double d => d,
        float f => f,
        decimal m => (double)m,
        BigInteger b => (double)b,
        _ => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture),
    };

    private static long SaturateLong(double d) =>
        double.IsNaN(d) ? 0 : d >= long.MaxValue ? long.MaxValue : d <= long.MinValue ? long.MinValue : (long)d;

    private static BigInteger ToBig(object v) => v is BigInteger b ? b : new BigInteger(LongValue(v));

    private static decimal ToDecimal(object v) => v switch
    {
        decimal m => m,
        BigInteger b => (decimal)b,
        _ => (decimal)DoubleValue(v),
    };

    private static object Wrap(long value, object a, object b)
    {
        var rank = Math.Max(Rank(a), Rank(b));
        return rank <= 2 && value is >= int.MinValue and <= int.MaxValue ? (object)(int)value : value;
    }

    public static bool IsZero(object v) => v switch
    {
        BigInteger b => b.IsZero,
        decimal m => m == 0,
        _ when IsInteger(v) => LongValue(v) == 0,
        _ => DoubleValue(v) == 0,
    };

    public static object Add(object a, object b)
    {
        switch (CalculationBase(a, b))
        {
            case Base.Long:
                long l1 = LongValue(a), l2 = LongValue(b);
                var r = unchecked(l1 + l2);
                return ((r ^ l1) < 0 && (r ^ l2) < 0) ? ToBig(a) + ToBig(b) : Wrap(r, a, b);
            case Base.BigInteger:
                return ToBig(a) + ToBig(b);
            case Base.Double:
                return DoubleValue(a) + DoubleValue(b);
            default:
                return ToDecimal(a) + ToDecimal(b);
        }
    }

    public static object Subtract(object a, object b)
    {
        switch (CalculationBase(a, b))
        {
            case Base.Long:
                long l1 = LongValue(a), l2 = LongValue(b);
                var r = unchecked(l1 - l2);
                return ((r ^ l1) < 0 && (r ^ ~l2) < 0) ? ToBig(a) - ToBig(b) : Wrap(r, a, b);
            case Base.BigInteger:
                return ToBig(a) - ToBig(b);
            case Base.Double:
                return DoubleValue(a) - DoubleValue(b);
            default:
                return ToDecimal(a) - ToDecimal(b);
        }
    }

    public static object Multiply(object a, object b)
    {
        switch (CalculationBase(a, b))
        {
            case Base.Long:
                long l1 = LongValue(a), l2 = LongValue(b);
                var r = unchecked(l1 * l2);
                // Java's own check (result / l2 != l1), with the one case where that division itself overflows.
                var overflow = l2 != 0 && ((l2 == -1 && l1 == long.MinValue) || (l2 != -1 && r / l2 != l1));
                return overflow ? ToBig(a) * ToBig(b) : Wrap(r, a, b);
            case Base.BigInteger:
                return ToBig(a) * ToBig(b);
            case Base.Double:
                return DoubleValue(a) * DoubleValue(b);
            default:
                return ToDecimal(a) * ToDecimal(b);
        }
    }

    public static object Divide(object a, object b)
    {
        switch (CalculationBase(a, b))
        {
            case Base.Long:
                long l1 = LongValue(a), l2 = LongValue(b);
                return Wrap(l2 == -1 ? unchecked(-l1) : l1 / l2, a, b);
            case Base.BigInteger:
                return BigInteger.Divide(ToBig(a), ToBig(b));
            case Base.Double:
                return DoubleValue(a) / DoubleValue(b);
            default:
                return ToDecimal(a) / ToDecimal(b);
        }
    }

    public static object Modulo(object a, object b)
    {
        switch (CalculationBase(a, b))
        {
            case Base.Long:
                long l1 = LongValue(a), l2 = LongValue(b);
                return Wrap(l2 == -1 ? 0 : l1 % l2, a, b);
            case Base.BigInteger:
                // Java's BigInteger.mod is never negative (and refuses a negative modulus).
                var m = ToBig(b);
                if (m.Sign <= 0)
                {
                    throw new ArithmeticException("BigInteger: modulus not positive");
                }

                var rem = BigInteger.Remainder(ToBig(a), m);
                return rem.Sign < 0 ? rem + m : rem;
            case Base.Double:
                return DoubleValue(a) % DoubleValue(b);
            default:
                throw new ArithmeticException("Cannot calculate the modulo of BigDecimals.");
        }
    }

    public static int Compare(object a, object b) => CalculationBase(a, b) switch
    {
        Base.Long => LongValue(a).CompareTo(LongValue(b)),
        Base.BigInteger => ToBig(a).CompareTo(ToBig(b)),
        Base.Double => CompareDouble(DoubleValue(a), DoubleValue(b)),
        _ => ToDecimal(a).CompareTo(ToDecimal(b)),
    };

    private static int CompareDouble(double x, double y) => x < y ? -1 : x > y ? 1 : x.CompareTo(y);
}
