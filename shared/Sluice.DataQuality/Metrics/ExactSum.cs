using System.Diagnostics;
using System.Numerics;

namespace Sluice.DataQuality.Metrics;

/// <summary>
/// Sums finite doubles, and optionally their squares, without any rounding: every value is an integer
/// multiple of 2^-1074 (its square of 2^-2148), so the sum is kept as a long integer in 32-bit digits with
/// 31 bits of carry headroom each (a "small superaccumulator", Neal 2015). The result does not depend on
/// the order of the values or on how they were split between accumulators, which lets a parallel pass
/// give bit-for-bit the same Sum, Mean and StandardDeviation as a sequential one; rounding happens once,
/// at the end, to the nearest double.
/// </summary>
internal sealed class ExactSum
{
    private const int DigitBits = 32;
    private const uint DigitMask = uint.MaxValue;
    // A digit receives at most 2^32 - 1 per addition; after 2^30 additions carries are propagated so the
    // signed 64-bit digits can never overflow.
    private const int AdditionsBeforeCarry = 1 << 30;

    /// <summary>Scale of a plain value's digit 0: 2^-1074, the smallest subnormal.</summary>
    public const int ValueScale = -1074;

    /// <summary>Scale of a square's digit 0: 2^-2148.</summary>
    public const int SquareScale = 2 * ValueScale;

    private readonly long[] _digits;
    private int _additions;

    private ExactSum(int digits) => _digits = new long[digits];

    /// <summary>An accumulator for plain values: exponents 2^-1074 .. 2^1024, with room for carries.</summary>
    public static ExactSum ForValues() => new(2048 / DigitBits + 4);

    /// <summary>An accumulator for squares of values: exponents 2^-2148 .. 2^2048, with room for carries.</summary>
    public static ExactSum ForSquares() => new(4200 / DigitBits + 4);

    /// <summary>Adds a finite double exactly.</summary>
    public void Add(double value)
    {
        Debug.Assert(double.IsFinite(value));
        var bits = BitConverter.DoubleToInt64Bits(value);
        var (mantissa, position) = Decompose(bits);
        // mantissa < 2^53 shifted by < 32 spans at most 85 bits: three digits.
        var shift = position & (DigitBits - 1);
        var index = position >> 5;
        var low = mantissa << shift;
        var high = shift == 0 ? 0 : mantissa >> (64 - shift);
        if (bits < 0)
        {
            _digits[index] -= (long)(low & DigitMask);
            _digits[index + 1] -= (long)(low >> 32);
            _digits[index + 2] -= (long)high;
        }
        else
        {
            _digits[index] += (long)(low & DigitMask);
            _digits[index + 1] += (long)(low >> 32);
            _digits[index + 2] += (long)high;
        }
        CountAddition();
    }

    /// <summary>Adds the exact square of a finite double (no rounding of the product).</summary>
    public void AddSquare(double value)
    {
        Debug.Assert(double.IsFinite(value));
        var (mantissa, position) = Decompose(BitConverter.DoubleToInt64Bits(value));
        if (mantissa == 0)
        {
            return;
        }
        // (m * 2^p)^2 = m^2 * 2^2p with m^2 < 2^106; shifted by < 32 it spans at most 138 bits: five digits.
        var squareHigh = Math.BigMul(mantissa, mantissa, out var squareLow);
        var position2 = 2 * position;
        var shift = position2 & (DigitBits - 1);
        var index = position2 >> 5;
        var word0 = squareLow << shift;
        var word1 = shift == 0 ? squareHigh : (squareHigh << shift) | (squareLow >> (64 - shift));
        var word2 = shift == 0 ? 0 : squareHigh >> (64 - shift);
        _digits[index] += (long)(word0 & DigitMask);
        _digits[index + 1] += (long)(word0 >> 32);
        _digits[index + 2] += (long)(word1 & DigitMask);
        _digits[index + 3] += (long)(word1 >> 32);
        _digits[index + 4] += (long)(word2 & DigitMask);
        CountAddition();
    }

    /// <summary>Adds the exact product of two finite doubles (on a <see cref="ForSquares"/> accumulator).</summary>
    public void AddProduct(double x, double y)
    {
        Debug.Assert(double.IsFinite(x) && double.IsFinite(y));
        var xBits = BitConverter.DoubleToInt64Bits(x);
        var yBits = BitConverter.DoubleToInt64Bits(y);
        var (mx, px) = Decompose(xBits);
        var (my, py) = Decompose(yBits);
        if (mx == 0 || my == 0)
        {
            return;
        }
        var productHigh = Math.BigMul(mx, my, out var productLow);
        var position = px + py;
        var shift = position & (DigitBits - 1);
        var index = position >> 5;
        var word0 = productLow << shift;
        var word1 = shift == 0 ? productHigh : (productHigh << shift) | (productLow >> (64 - shift));
        var word2 = shift == 0 ? 0 : productHigh >> (64 - shift);
        long sign = (xBits < 0) != (yBits < 0) ? -1 : 1;
        _digits[index] += sign * (long)(word0 & DigitMask);
        _digits[index + 1] += sign * (long)(word0 >> 32);
        _digits[index + 2] += sign * (long)(word1 & DigitMask);
        _digits[index + 3] += sign * (long)(word1 >> 32);
        _digits[index + 4] += sign * (long)(word2 & DigitMask);
        CountAddition();
    }

    /// <summary>Adds everything <paramref name="other"/> accumulated.</summary>
    public void Add(ExactSum other)
    {
        Debug.Assert(other._digits.Length == _digits.Length);
        other.PropagateCarries();
        PropagateCarries();
        for (var i = 0; i < _digits.Length; i++)
        {
            _digits[i] += other._digits[i];
        }
        // Normalized digits are below 2^32 in magnitude, so the sum cannot overflow; normalize again later.
        _additions = AdditionsBeforeCarry / 2;
    }

    /// <summary>The exact sum as an integer multiple of 2^scale (scale = <see cref="ValueScale"/> or <see cref="SquareScale"/>).</summary>
    public BigInteger ToBigInteger()
    {
        var total = BigInteger.Zero;
        for (var i = _digits.Length - 1; i >= 0; i--)
        {
            total = (total << DigitBits) + _digits[i];
        }
        return total;
    }

    /// <summary>
    /// The double nearest to <paramref name="numerator"/> / <paramref name="denominator"/> * 2^<paramref name="scale"/>
    /// (ties to even), computed from exact integers so it is correctly rounded, subnormals included.
    /// </summary>
    public static double ToDouble(BigInteger numerator, BigInteger denominator, int scale)
    {
        Debug.Assert(denominator.Sign > 0);
        if (numerator.IsZero)
        {
            return 0.0;
        }
        var negative = numerator.Sign < 0;
        numerator = BigInteger.Abs(numerator);

        // Scale the quotient to at least 55 significant bits so the remainder only decides ties and stickiness.
        var extra = 56 - (int)(numerator.GetBitLength() - denominator.GetBitLength());
        var quotient = BigInteger.DivRem(extra >= 0 ? numerator << extra : numerator, extra >= 0 ? denominator : denominator << -extra, out var remainder);
        var sticky = !remainder.IsZero;
        var exponent = scale - extra; // value = quotient * 2^exponent (plus the sticky part)

        // Keep 53 bits, or fewer when the result is subnormal (its last bit is worth 2^-1074).
        var topBit = (int)quotient.GetBitLength() - 1 + exponent;
        var keepFrom = Math.Max(topBit - 52, -1074);
        var drop = keepFrom - exponent;
        Debug.Assert(drop >= 2);
        var kept = quotient >> drop;
        var half = BigInteger.One << (drop - 1);
        var rest = quotient - (kept << drop);
        if (rest > half || (rest == half && (sticky || !kept.IsEven)))
        {
            kept += 1;
        }
        // kept <= 2^53, exactly representable; scaling by a power of two is exact (or overflows to infinity).
        var result = Math.ScaleB((double)(ulong)kept, keepFrom);
        return negative ? -result : result;
    }

    private static (ulong Mantissa, int Position) Decompose(long bits)
    {
        var biasedExponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = (ulong)bits & 0xF_FFFF_FFFF_FFFF;
        if (biasedExponent == 0)
        {
            // Subnormal or zero: worth mantissa * 2^-1074.
            return (mantissa, 0);
        }
        // Normal: (2^52 + mantissa) * 2^(biasedExponent - 1075), i.e. position biasedExponent - 1 above 2^-1074.
        return (mantissa | (1UL << 52), biasedExponent - 1);
    }

    private void CountAddition()
    {
        if (++_additions == AdditionsBeforeCarry)
        {
            PropagateCarries();
        }
    }

    /// <summary>Brings every digit but the top one into [0, 2^32), carrying (signed) into the next.</summary>
    private void PropagateCarries()
    {
        for (var i = 0; i < _digits.Length - 1; i++)
        {
            var carry = _digits[i] >> DigitBits; // arithmetic shift: floor division, also for negative digits
            _digits[i] -= carry << DigitBits;
            _digits[i + 1] += carry;
        }
        _additions = 0;
    }
}
