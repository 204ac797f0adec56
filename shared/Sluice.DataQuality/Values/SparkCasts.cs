using System.Globalization;
using System.Text;

namespace Sluice.DataQuality.Values;

/// <summary>Target types of <c>ColumnDataType</c>.</summary>
internal enum CastType
{
    Boolean,
    Date,
    Timestamp,
    Integer,
    Double,
    Float,
    Long,
}

/// <summary>
/// Whether a value "can be cast in Apache Spark to the provided type" (DQDL ColumnDataType reference), i.e.
/// whether Spark's non-ANSI <c>CAST</c> yields a non-null value. Strings follow Spark's string casts
/// (<c>UTF8String.toInt</c>/<c>toLong</c> accept and drop a fractional part; booleans accept
/// t/true/y/yes/1 and f/false/n/no/0; dates accept <c>yyyy[-m[m][-d[d]]]</c> optionally followed by
/// <c>T</c> or a space and anything). JSON numbers and booleans are typed values: Spark casts them to every
/// numeric type, Boolean and Timestamp, but not to Date. Nested values cast to nothing.
/// </summary>
internal static class SparkCasts
{
    public static CastType Parse(string name) => Enum.Parse<CastType>(name, ignoreCase: true);

    public static bool CanCast(ref ColumnCell cell, CastType type)
    {
        switch (cell.Kind)
        {
            case CellKind.Number:
            case CellKind.True:
            case CellKind.False:
                return type != CastType.Date;
            case CellKind.Complex:
                return false;
        }

        var text = Trim(cell.Utf8);
        return type switch
        {
            CastType.Integer => TryParseIntegral(text, int.MinValue, int.MaxValue),
            CastType.Long => TryParseIntegral(text, long.MinValue, long.MaxValue),
            CastType.Double or CastType.Float => TryParseDouble(text, out _),
            CastType.Boolean => IsBoolean(text),
            CastType.Date => TryParseSparkDate(text, out var rest) && (rest.Length == 0 || rest[0] == ' ' || rest[0] == 'T'),
            CastType.Timestamp => IsTimestamp(text),
            _ => false,
        };
    }

    /// <summary>Spark trims characters up to and including the space (code points &lt;= 0x20) before casting.</summary>
    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> text)
    {
        var start = 0;
        var end = text.Length;
        while (start < end && text[start] <= ' ')
        {
            start++;
        }
        while (end > start && text[end - 1] <= ' ')
        {
            end--;
        }
        return text[start..end];
    }

    private static bool TryParseIntegral(ReadOnlySpan<byte> text, long min, long max)
    {
        if (text.Length == 0)
        {
            return false;
        }
        var index = 0;
        var negative = false;
        if (text[0] is (byte)'-' or (byte)'+')
        {
            negative = text[0] == '-';
            index++;
        }
        var digits = 0;
        // Accumulate negatively so long.MinValue fits.
        long value = 0;
        for (; index < text.Length && text[index] != '.'; index++)
        {
            var d = text[index] - '0';
            if ((uint)d > 9)
            {
                return false;
            }
            if (value < (long.MinValue + d) / 10)
            {
                return false;
            }
            value = value * 10 - d;
            digits++;
        }
        if (digits == 0)
        {
            return false;
        }
        if (index < text.Length)
        {
            // A fractional part must be digits only; Spark then truncates it.
            for (index++; index < text.Length; index++)
            {
                if (!char.IsAsciiDigit((char)text[index]))
                {
                    return false;
                }
            }
        }
        if (!negative)
        {
            if (value == long.MinValue)
            {
                return false;
            }
            value = -value;
        }
        return value >= min && value <= max;
    }

    /// <summary>Java's <c>Double.parseDouble</c> as Spark uses it, plus Spark's Infinity/NaN spellings.</summary>
    public static bool TryParseDouble(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        text = Trim(text);
        if (text.Length is 0 or > 128)
        {
            return false;
        }
        Span<char> chars = stackalloc char[text.Length];
        if (Encoding.UTF8.GetChars(text, chars) != text.Length)
        {
            return false;
        }
        ReadOnlySpan<char> s = chars;
        if (IsAny(s, "inf", "+inf", "infinity", "+infinity"))
        {
            value = double.PositiveInfinity;
            return true;
        }
        if (IsAny(s, "-inf", "-infinity"))
        {
            value = double.NegativeInfinity;
            return true;
        }
        if (s.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            value = double.NaN;
            return true;
        }
        // Java accepts a trailing type suffix: "1.5d", "2f".
        if (s[^1] is 'd' or 'D' or 'f' or 'F')
        {
            s = s[..^1];
        }
        return s.Length > 0 && (char.IsAsciiDigit(s[^1]) || s[^1] == '.')
            && double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out value);
    }

    private static bool IsAny(ReadOnlySpan<char> s, params ReadOnlySpan<string> words)
    {
        foreach (var word in words)
        {
            if (s.Equals(word, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsBoolean(ReadOnlySpan<byte> text) =>
        text.Length <= 5 && (Ascii.EqualsIgnoreCase(text, "t"u8) || Ascii.EqualsIgnoreCase(text, "true"u8)
            || Ascii.EqualsIgnoreCase(text, "y"u8) || Ascii.EqualsIgnoreCase(text, "yes"u8) || text.SequenceEqual("1"u8)
            || Ascii.EqualsIgnoreCase(text, "f"u8) || Ascii.EqualsIgnoreCase(text, "false"u8)
            || Ascii.EqualsIgnoreCase(text, "n"u8) || Ascii.EqualsIgnoreCase(text, "no"u8) || text.SequenceEqual("0"u8));

    /// <summary>Reads <c>yyyy</c>, <c>yyyy-[m]m</c> or <c>yyyy-[m]m-[d]d</c> and returns what follows.</summary>
    private static bool TryParseSparkDate(ReadOnlySpan<byte> text, out ReadOnlySpan<byte> rest)
    {
        rest = default;
        var index = 0;
        if (!ReadNumber(text, ref index, 4, 4, out var year) || year < 1)
        {
            return false;
        }
        var month = 1;
        var day = 1;
        if (index < text.Length && text[index] == '-')
        {
            index++;
            if (!ReadNumber(text, ref index, 1, 2, out month) || month is < 1 or > 12)
            {
                return false;
            }
            if (index < text.Length && text[index] == '-')
            {
                index++;
                if (!ReadNumber(text, ref index, 1, 2, out day) || day < 1 || day > DateTime.DaysInMonth(year, month))
                {
                    return false;
                }
            }
        }
        rest = text[index..];
        return true;
    }

    private static bool IsTimestamp(ReadOnlySpan<byte> text)
    {
        if (!TryParseSparkDate(text, out var rest))
        {
            return false;
        }
        if (rest.Length == 0)
        {
            return true;
        }
        if (rest[0] is not ((byte)'T' or (byte)' '))
        {
            return false;
        }
        var index = 1;
        if (!ReadNumber(rest, ref index, 1, 2, out var hour) || hour > 23 || index >= rest.Length || rest[index] != ':')
        {
            return false;
        }
        index++;
        if (!ReadNumber(rest, ref index, 1, 2, out var minute) || minute > 59)
        {
            return false;
        }
        if (index < rest.Length && rest[index] == ':')
        {
            index++;
            if (!ReadNumber(rest, ref index, 1, 2, out var second) || second > 59)
            {
                return false;
            }
            if (index < rest.Length && rest[index] == '.')
            {
                index++;
                if (!ReadNumber(rest, ref index, 1, 9, out _))
                {
                    return false;
                }
            }
        }
        return IsZone(rest[index..]);
    }

    private static bool IsZone(ReadOnlySpan<byte> zone)
    {
        if (zone.Length > 0 && zone[0] == ' ')
        {
            zone = zone[1..];
        }
        if (zone.Length == 0 || zone.SequenceEqual("Z"u8) || zone.SequenceEqual("UTC"u8) || zone.SequenceEqual("GMT"u8))
        {
            return true;
        }
        if (zone[0] is not ((byte)'+' or (byte)'-'))
        {
            return false;
        }
        var index = 1;
        if (!ReadNumber(zone, ref index, 1, 2, out var hours) || hours > 18)
        {
            return false;
        }
        if (index == zone.Length)
        {
            return true;
        }
        if (zone[index] == ':')
        {
            index++;
        }
        return ReadNumber(zone, ref index, 2, 2, out var minutes) && minutes <= 59 && index == zone.Length;
    }

    private static bool ReadNumber(ReadOnlySpan<byte> text, ref int index, int minDigits, int maxDigits, out int value)
    {
        value = 0;
        var start = index;
        while (index < text.Length && index - start < maxDigits && char.IsAsciiDigit((char)text[index]))
        {
            value = value * 10 + (text[index] - '0');
            index++;
        }
        return index - start >= minDigits;
    }
}
