using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Sluice.Vtl.Runtime;

/// <summary>How Java would print and compare the values a template sees.</summary>
internal static class JavaValues
{
    private const int MaxPrintDepth = 64;

    private static readonly string[] SmallInts = Enumerable.Range(0, 256).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Java's toString(); null for null.</summary>
    public static string? ToJavaString(object? value, RenderState? state) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        int i => (uint)i < SmallInts.Length ? SmallInts[i] : i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatDouble(d),
        _ => Compound(value, state),
    };

    private static string? Compound(object value, RenderState? state)
    {
        if (value is DefinedBlock block)
        {
            return state is null ? "" : block.RenderToString(state);
        }

        var sb = new StringBuilder();
        Append(sb, value, state, 0);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, object? value, RenderState? state, int depth)
    {
        if (depth > MaxPrintDepth)
        {
            throw state is null
                ? new VtlRenderException("A value nested too deep to print", null, 0, 0)
                : state.Limit(nameof(VtlLimits.MaxDepth), $"a value nested deeper than {MaxPrintDepth} levels cannot be printed");
        }

        switch (value)
        {
            case null:
                sb.Append("null");
                return;
            case string s:
                sb.Append(s);
                return;
            case IDictionary<string, object?> map:
                sb.Append('{');
                var first = true;
                foreach (var (k, v) in map)
                {
                    if (!first)
                    {
                        sb.Append(", ");
                    }

                    first = false;
                    sb.Append(k).Append('=');
                    if (ReferenceEquals(v, map))
                    {
                        sb.Append("(this Map)");
                    }
                    else
                    {
                        Append(sb, v, state, depth + 1);
                    }
                }

                sb.Append('}');
                return;
            case VtlEntry entry:
                sb.Append(entry.Key).Append('=');
                Append(sb, entry.Value, state, depth + 1);
                return;
            case IVtlObject host:
                sb.Append(host.ToString());
                return;
            case DefinedBlock block:
                sb.Append(state is null ? "" : block.RenderToString(state));
                return;
            case IEnumerable items:
                sb.Append('[');
                var firstItem = true;
                foreach (var item in items)
                {
                    if (!firstItem)
                    {
                        sb.Append(", ");
                    }

                    firstItem = false;
                    if (ReferenceEquals(item, value))
                    {
                        sb.Append("(this Collection)");
                    }
                    else
                    {
                        Append(sb, item, state, depth + 1);
                    }
                }

                sb.Append(']');
                return;
            default:
                sb.Append(Scalar(value));
                return;
        }
    }

    private static string Scalar(object value) => value switch
    {
        bool b => b ? "true" : "false",
        double d => FormatDouble(d),
        float f => FormatDouble(f),
        decimal m => m.ToString(CultureInfo.InvariantCulture),
        BigInteger b => b.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Java's Double.toString: plain between 10^-3 and 10^7 (always a fraction digit), else d.dddE±n.</summary>
    public static string FormatDouble(double d)
    {
        if (double.IsNaN(d))
        {
            return "NaN";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "Infinity" : "-Infinity";
        }

        if (d == 0)
        {
            return double.IsNegative(d) ? "-0.0" : "0.0";
        }

        var abs = Math.Abs(d);
        if (abs >= 1e-3 && abs < 1e7)
        {
            // .NET prints this range without an exponent, with the same shortest digits; Java adds ".0" to whole values.
            var plain = d.ToString("R", CultureInfo.InvariantCulture);
            return plain.Contains('.') ? plain : plain + ".0";
        }

        // Shortest round-trip digits and the decimal exponent, from .NET's shortest form.
        var r = abs.ToString("R", CultureInfo.InvariantCulture);
        var ePos = r.IndexOf('E');
        var exp = 0;
        var mantissa = r;
        if (ePos >= 0)
        {
            exp = int.Parse(r.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            mantissa = r[..ePos];
        }

        var dot = mantissa.IndexOf('.');
        var intPart = dot < 0 ? mantissa : mantissa[..dot];
        var fracPart = dot < 0 ? "" : mantissa[(dot + 1)..];
        var digits = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - digits.Length;
        // Scientific exponent of the first significant digit.
        var sciExp = intPart.Length - 1 - leadingZeros + exp;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        var sb = new StringBuilder(24);
        if (d < 0)
        {
            sb.Append('-');
        }

        if (abs >= 1e-3 && abs < 1e7)
        {
            if (sciExp >= 0)
            {
                var intDigits = sciExp + 1;
                sb.Append(digits.Length >= intDigits ? digits[..intDigits] : digits.PadRight(intDigits, '0'));
                sb.Append('.');
                sb.Append(digits.Length > intDigits ? digits[intDigits..] : "0");
            }
            else
            {
                sb.Append("0.");
                sb.Append('0', -sciExp - 1);
                sb.Append(digits);
            }
        }
        else
        {
            sb.Append(digits[0]).Append('.');
            sb.Append(digits.Length > 1 ? digits[1..] : "0");
            sb.Append('E').Append(sciExp.ToString(CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <summary>The Java class a value stands for, for messages.</summary>
    public static string JavaTypeName(object value) => value switch
    {
        string => "java.lang.String",
        bool => "java.lang.Boolean",
        int => "java.lang.Integer",
        long => "java.lang.Long",
        double => "java.lang.Double",
        decimal => "java.math.BigDecimal",
        BigInteger => "java.math.BigInteger",
        IDictionary<string, object?> => "java.util.LinkedHashMap",
        Array => "java.lang.Object[]",
        IList => "java.util.ArrayList",
        _ => value.GetType().Name,
    };

    /// <summary>Groups of values Java would see as one class (or one assignable family), for ==.</summary>
    private static int ClassKey(object v) => v switch
    {
        string => 1,
        bool => 2,
        IDictionary<string, object?> => 3,
        IList => 4,
        VtlEntry => 5,
        _ => 0,
    };

    /// <summary>Velocity's ==: numbers by value, same-class values by equals(), anything else by toString().</summary>
    public static bool VelocityEquals(object? left, object? right, RenderState state)
    {
        if (JavaMath.IsNumber(left) && JavaMath.IsNumber(right))
        {
            return JavaMath.Compare(left!, right!) == 0;
        }

        if (left is not null && right is not null)
        {
            var lk = ClassKey(left);
            if ((lk != 0 && lk == ClassKey(right)) || (lk == 0 && left.GetType() == right.GetType()))
            {
                return JavaEquals(left, right);
            }
        }

        var ls = ToJavaString(left, state);
        var rs = ToJavaString(right, state);
        return ls is null ? rs is null : ls == rs;
    }

    /// <summary>Java's equals(): Integer 1 is not Long 1, lists and maps compare element by element.</summary>
    public static bool JavaEquals(object? a, object? b) => JavaEquals(a, b, 0);

    private static bool JavaEquals(object? a, object? b, int depth)
    {
        if (depth > MaxPrintDepth)
        {
            // Lists that contain each other would recurse forever (Java overflows its stack).
            throw new InvalidOperationException($"values nested deeper than {MaxPrintDepth} levels cannot be compared");
        }

        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        switch (a)
        {
            case string s:
                return b is string t && s == t;
            case IDictionary<string, object?> m:
                if (b is not IDictionary<string, object?> n || m.Count != n.Count)
                {
                    return false;
                }

                foreach (var (k, v) in m)
                {
                    if (!n.TryGetValue(k, out var w) || !JavaEquals(v, w, depth + 1))
                    {
                        return false;
                    }
                }

                return true;
            case IList l when b is IList r:
                if (l.Count != r.Count)
                {
                    return false;
                }

                for (var i = 0; i < l.Count; i++)
                {
                    if (!JavaEquals(l[i], r[i], depth + 1))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return a.GetType() == b.GetType() && a.Equals(b);
        }
    }

    /// <summary>Java's String.hashCode.</summary>
    public static int JavaHash(string s)
    {
        var h = 0;
        foreach (var c in s)
        {
            h = unchecked((31 * h) + c);
        }

        return h;
    }
}
