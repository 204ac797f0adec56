using System.Buffers.Text;
using System.Text.Json;

namespace Sluice.DataQuality.Values;

/// <summary>What JSON value a cell holds. Null and absent keys never reach a cell.</summary>
internal enum CellKind : byte
{
    String,
    Number,
    True,
    False,
    /// <summary>An object or array: counted as present and non-null, compared by its raw JSON text.</summary>
    Complex,
}

/// <summary>
/// One non-null value of one row, viewed in place: <see cref="Utf8"/> is the unescaped string content,
/// or the raw literal for numbers, booleans and nested values. Nothing is allocated; parsing is lazy and
/// cached so several accumulators on one column pay for it once.
/// </summary>
internal ref struct ColumnCell
{
    private double _number;
    private byte _numberState; // 0 = not parsed yet, 1 = number, 2 = not a number
    private byte _timestampState;
    private DateTimeOffset _timestamp;

    public ColumnCell(CellKind kind, ReadOnlySpan<byte> utf8)
    {
        Kind = kind;
        Utf8 = utf8;
    }

    public CellKind Kind { get; }
    public ReadOnlySpan<byte> Utf8 { get; }

    /// <summary>
    /// The value as a number: JSON numbers, and strings holding a number (as Spark casts a string compared to
    /// a number). Booleans and nested values are not numbers.
    /// </summary>
    public bool TryGetNumber(out double value)
    {
        if (_numberState == 0)
        {
            _numberState = 2;
            if (Kind == CellKind.Number || Kind == CellKind.String)
            {
                if (TryParseShortDecimal(Utf8, out var parsed))
                {
                    _number = parsed;
                    _numberState = 1;
                }
                else if (Utf8Parser.TryParse(Utf8, out parsed, out var consumed) && consumed == Utf8.Length && double.IsFinite(parsed))
                {
                    _number = parsed;
                    _numberState = 1;
                }
                else if (Kind == CellKind.String && SparkCasts.TryParseDouble(Utf8, out parsed))
                {
                    _number = parsed;
                    _numberState = 1;
                }
            }
        }
        value = _number;
        return _numberState == 1;
    }

    private static readonly double[] PowersOfTen = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    /// <summary>
    /// Fast path for plain decimals of at most 15 digits (<c>-123.45</c>): the digits form an integer below
    /// 2^53 and the power of ten is exact, so one IEEE division gives the correctly rounded value (Clinger's
    /// fast path). Anything else (exponents, more digits) goes to the general parser.
    /// </summary>
    internal static bool TryParseShortDecimal(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        var index = 0;
        var negative = false;
        if (text.Length > 0 && text[0] == '-')
        {
            negative = true;
            index = 1;
        }
        ulong mantissa = 0;
        var digits = 0;
        var fractionDigits = -1;
        for (; index < text.Length; index++)
        {
            var d = (uint)(text[index] - '0');
            if (d <= 9)
            {
                mantissa = mantissa * 10 + d;
                digits++;
                if (fractionDigits >= 0)
                {
                    fractionDigits++;
                }
            }
            else if (text[index] == '.' && fractionDigits < 0)
            {
                fractionDigits = 0;
            }
            else
            {
                return false;
            }
        }
        if (digits is 0 or > 15 || fractionDigits == 0)
        {
            return false;
        }
        value = fractionDigits > 0 ? mantissa / PowersOfTen[fractionDigits] : mantissa;
        if (negative)
        {
            value = -value;
        }
        return true;
    }

    /// <summary>True when the value is a JSON number (not a string that looks like one).</summary>
    public bool IsJsonNumber(out double value)
    {
        if (Kind != CellKind.Number)
        {
            value = 0;
            return false;
        }
        return TryGetNumber(out value);
    }

    /// <summary>The value as an instant: ISO-8601 dates and timestamps, without offset meaning UTC.</summary>
    public bool TryGetTimestamp(out DateTimeOffset value)
    {
        if (_timestampState == 0)
        {
            _timestampState = Kind == CellKind.String && TimestampParser.TryParse(Utf8, out _timestamp) ? (byte)1 : (byte)2;
        }
        value = _timestamp;
        return _timestampState == 1;
    }

    /// <summary>Number of characters (Unicode code points), as Spark's <c>length</c> counts them.</summary>
    public int CharacterLength()
    {
        var span = Utf8;
        var count = 0;
        foreach (var b in span)
        {
            // Continuation bytes (10xxxxxx) do not start a code point.
            if ((b & 0xC0) != 0x80)
            {
                count++;
            }
        }
        return count;
    }

    public static CellKind KindOf(JsonTokenType token) => token switch
    {
        JsonTokenType.String => CellKind.String,
        JsonTokenType.Number => CellKind.Number,
        JsonTokenType.True => CellKind.True,
        JsonTokenType.False => CellKind.False,
        _ => CellKind.Complex,
    };
}
