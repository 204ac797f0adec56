using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Sluice.JsonSchema.Validation;

/// <summary>
/// A JSON number as written, kept exactly: value = (-1)^Negative * Digits * 10^Exponent, where
/// Digits are the significant decimal digits with no leading or trailing zeros (empty for zero).
/// Draft 4 compares numbers mathematically, and doubles cannot: 1e308 is a multiple of 0.5,
/// 18446744073709551600 is below 18446744073709551615, 0.3 is a multiple of 0.1.
/// </summary>
internal readonly ref struct ExactNumber
{
    // Exponents beyond this saturate; no document that fits in memory can tell the difference.
    private const long ExponentLimit = 1L << 40;

    public ExactNumber(bool negative, ReadOnlySpan<byte> digits, long exponent)
    {
        Negative = negative && !digits.IsEmpty;
        Digits = digits;
        Exponent = exponent;
    }

    public bool Negative { get; }

    public ReadOnlySpan<byte> Digits { get; }

    public long Exponent { get; }

    public bool IsZero => Digits.IsEmpty;

    /// <summary>True when the literal is a JSON integer in the draft-4 sense: no fraction and no exponent part.</summary>
    public static bool IsIntegerLiteral(in JsonElement number) =>
        JsonMarshal.GetRawUtf8Value(number).IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0;

    /// <summary>Parses a JSON number literal (already validated by the JSON reader) into <paramref name="digitBuffer"/>.</summary>
    public static ExactNumber Parse(ReadOnlySpan<byte> literal, Span<byte> digitBuffer)
    {
        int position = 0;
        bool negative = literal[0] == (byte)'-';
        if (negative)
        {
            position++;
        }

        int digitCount = 0;
        long exponent = 0;
        bool seenNonZero = false;
        bool inFraction = false;
        for (; position < literal.Length; position++)
        {
            byte current = literal[position];
            if (current == (byte)'.')
            {
                inFraction = true;
                continue;
            }

            if (current is (byte)'e' or (byte)'E')
            {
                exponent += ParseExponent(literal[(position + 1)..]);
                break;
            }

            if (inFraction)
            {
                exponent--;
            }

            if (current == (byte)'0' && !seenNonZero)
            {
                continue;
            }

            seenNonZero = true;
            digitBuffer[digitCount++] = current;
        }

        // Trailing zeros move into the exponent so that equal values have equal digits.
        while (digitCount > 0 && digitBuffer[digitCount - 1] == (byte)'0')
        {
            digitCount--;
            exponent++;
        }

        return new ExactNumber(negative, digitBuffer[..digitCount], Math.Clamp(exponent, -ExponentLimit, ExponentLimit));
    }

    private static long ParseExponent(ReadOnlySpan<byte> text)
    {
        bool negative = false;
        if (text[0] is (byte)'+' or (byte)'-')
        {
            negative = text[0] == (byte)'-';
            text = text[1..];
        }

        long value = 0;
        foreach (byte digit in text)
        {
            value = Math.Min(value * 10 + (digit - '0'), ExponentLimit * 2);
        }

        return negative ? -value : value;
    }

    /// <summary>Exact three-way comparison.</summary>
    public static int Compare(in ExactNumber left, in ExactNumber right)
    {
        int leftSign = left.IsZero ? 0 : left.Negative ? -1 : 1;
        int rightSign = right.IsZero ? 0 : right.Negative ? -1 : 1;
        if (leftSign != rightSign)
        {
            return leftSign.CompareTo(rightSign);
        }

        if (leftSign == 0)
        {
            return 0;
        }

        int magnitude = CompareMagnitude(left, right);
        return leftSign > 0 ? magnitude : -magnitude;
    }

    private static int CompareMagnitude(in ExactNumber left, in ExactNumber right)
    {
        // Position of the leading digit decides first, then the digits themselves.
        long leftLead = left.Digits.Length + left.Exponent;
        long rightLead = right.Digits.Length + right.Exponent;
        if (leftLead != rightLead)
        {
            return leftLead.CompareTo(rightLead);
        }

        int common = Math.Min(left.Digits.Length, right.Digits.Length);
        int prefix = left.Digits[..common].SequenceCompareTo(right.Digits[..common]);
        return prefix != 0 ? Math.Sign(prefix) : left.Digits.Length.CompareTo(right.Digits.Length);
    }

    /// <summary>Whether <paramref name="value"/> is an integer multiple of the positive <paramref name="divisor"/>.</summary>
    public static bool IsMultipleOf(in ExactNumber value, in ExactNumber divisor)
    {
        if (value.IsZero)
        {
            return true;
        }

        // With trailing zeros stripped, value = v * 10^a and divisor = d * 10^b. If a < b, v would
        // need b - a trailing zeros to be divisible by d * 10^(b-a): it has none.
        if (value.Exponent < divisor.Exponent)
        {
            return false;
        }

        // Otherwise value / divisor = v * 10^(a-b) / d: an integer exactly when
        // (v mod d) * (10^(a-b) mod d) = 0 (mod d), which never builds 10^(a-b) itself.
        long scale = value.Exponent - divisor.Exponent;
        if (divisor.Digits.Length <= 19)
        {
            ulong modulus = ParseUInt64(divisor.Digits);
            ulong remainder = Remainder(value.Digits, modulus);
            ulong power = PowerOfTenModulo(scale, modulus);
            return (ulong)((UInt128)remainder * power % modulus) == 0;
        }

        BigInteger bigModulus = BigInteger.Parse(System.Text.Encoding.ASCII.GetString(divisor.Digits));
        BigInteger bigValue = BigInteger.Parse(System.Text.Encoding.ASCII.GetString(value.Digits));
        return bigValue % bigModulus * BigInteger.ModPow(10, scale, bigModulus) % bigModulus == 0;
    }

    private static ulong ParseUInt64(ReadOnlySpan<byte> digits)
    {
        ulong result = 0;
        foreach (byte digit in digits)
        {
            result = result * 10 + (ulong)(digit - '0');
        }

        return result;
    }

    private static ulong Remainder(ReadOnlySpan<byte> digits, ulong modulus)
    {
        UInt128 remainder = 0;
        foreach (byte digit in digits)
        {
            remainder = (remainder * 10 + (uint)(digit - '0')) % modulus;
        }

        return (ulong)remainder;
    }

    private static ulong PowerOfTenModulo(long exponent, ulong modulus)
    {
        UInt128 result = 1 % modulus;
        UInt128 factor = 10 % modulus;
        while (exponent > 0)
        {
            if ((exponent & 1) != 0)
            {
                result = result * factor % modulus;
            }

            factor = factor * factor % modulus;
            exponent >>= 1;
        }

        return (ulong)result;
    }
}

/// <summary>A number from a schema keyword, parsed once at compile time.</summary>
internal sealed class SchemaNumber
{
    private readonly byte[] _digits;
    private readonly bool _negative;
    private readonly long _exponent;

    public SchemaNumber(JsonElement number)
    {
        ReadOnlySpan<byte> literal = JsonMarshal.GetRawUtf8Value(number);
        Literal = System.Text.Encoding.UTF8.GetString(literal);
        byte[] buffer = new byte[literal.Length];
        ExactNumber exact = ExactNumber.Parse(literal, buffer);
        _digits = exact.Digits.ToArray();
        _negative = exact.Negative;
        _exponent = exact.Exponent;
        Approximation = number.TryGetDouble(out double value) && double.IsFinite(value) ? value : double.NaN;
        IsInt64 = number.TryGetInt64(out long integer) && exact.Exponent >= 0;
        Int64Value = IsInt64 ? integer : 0;
    }

    /// <summary>The number as written in the schema, for messages.</summary>
    public string Literal { get; }

    /// <summary>Nearest double, or NaN when out of double range.</summary>
    public double Approximation { get; }

    /// <summary>Whether the value is an integer that fits in a long (enables a fast path).</summary>
    public bool IsInt64 { get; }

    public long Int64Value { get; }

    public bool IsPositive => !_negative && _digits.Length > 0;

    public ExactNumber Exact => new(_negative, _digits, _exponent);
}

/// <summary>Comparisons between an instance number and a schema number, exact but fast in the common case.</summary>
internal static class NumberComparison
{
    private const int StackDigits = 128;

    /// <summary>Three-way comparison of <paramref name="instance"/> (a JSON number) with <paramref name="limit"/>.</summary>
    public static int Compare(in JsonElement instance, SchemaNumber limit)
    {
        if (limit.IsInt64 && instance.TryGetInt64(out long integer))
        {
            return integer.CompareTo(limit.Int64Value);
        }

        // Rounding to double is monotonic: different doubles order the exact values the same way.
        // Only equal doubles (or out-of-range values) need the exact digits.
        if (!double.IsNaN(limit.Approximation) && instance.TryGetDouble(out double value) && double.IsFinite(value)
            && value != limit.Approximation)
        {
            return value < limit.Approximation ? -1 : 1;
        }

        return CompareExactly(instance, limit);
    }

    private static int CompareExactly(in JsonElement instance, SchemaNumber limit)
    {
        ReadOnlySpan<byte> literal = JsonMarshal.GetRawUtf8Value(instance);
        byte[]? rented = null;
        Span<byte> buffer = literal.Length <= StackDigits ? stackalloc byte[StackDigits] : (rented = ArrayPool<byte>.Shared.Rent(literal.Length));
        try
        {
            ExactNumber exact = ExactNumber.Parse(literal, buffer);
            return ExactNumber.Compare(exact, limit.Exact);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Whether the instance number is an integer multiple of <paramref name="divisor"/> (positive).</summary>
    public static bool IsMultipleOf(in JsonElement instance, SchemaNumber divisor)
    {
        if (divisor.IsInt64 && instance.TryGetInt64(out long integer))
        {
            return integer % divisor.Int64Value == 0;
        }

        ReadOnlySpan<byte> literal = JsonMarshal.GetRawUtf8Value(instance);
        byte[]? rented = null;
        Span<byte> buffer = literal.Length <= StackDigits ? stackalloc byte[StackDigits] : (rented = ArrayPool<byte>.Shared.Rent(literal.Length));
        try
        {
            ExactNumber exact = ExactNumber.Parse(literal, buffer);
            return ExactNumber.IsMultipleOf(exact, divisor.Exact);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Exact equality of two JSON numbers (1 equals 1.0 and 10e-1).</summary>
    public static bool AreEqual(in JsonElement left, in JsonElement right)
    {
        ReadOnlySpan<byte> leftLiteral = JsonMarshal.GetRawUtf8Value(left);
        ReadOnlySpan<byte> rightLiteral = JsonMarshal.GetRawUtf8Value(right);
        if (leftLiteral.SequenceEqual(rightLiteral))
        {
            return true;
        }

        if (left.TryGetDouble(out double leftValue) && right.TryGetDouble(out double rightValue)
            && double.IsFinite(leftValue) && double.IsFinite(rightValue) && leftValue != rightValue)
        {
            return false;
        }

        byte[] leftBuffer = new byte[leftLiteral.Length];
        byte[] rightBuffer = new byte[rightLiteral.Length];
        return ExactNumber.Compare(ExactNumber.Parse(leftLiteral, leftBuffer), ExactNumber.Parse(rightLiteral, rightBuffer)) == 0;
    }
}
