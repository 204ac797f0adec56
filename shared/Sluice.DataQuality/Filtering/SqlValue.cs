using System.Buffers.Text;

namespace Sluice.DataQuality.Filtering;

/// <summary>The SQL type a value has while a where clause is evaluated in process (DuckDB's types for them).</summary>
internal enum SqlType : byte
{
    Null,
    Boolean,
    /// <summary>BIGINT: a JSON integer, or an integer literal.</summary>
    BigInt,
    /// <summary>DECIMAL: a literal with a decimal point (<c>1.5</c> is DECIMAL(2,1) in DuckDB), or arithmetic on one.</summary>
    Decimal,
    /// <summary>DOUBLE: a JSON number with a fraction or exponent, a literal with an exponent, any division.</summary>
    Double,
    /// <summary>VARCHAR: a JSON string the copy keeps as text.</summary>
    Varchar,
    /// <summary>A quoted literal, not yet typed: DuckDB casts it to the type of what it is compared with.</summary>
    StringLiteral,
    /// <summary>DATE, as days since 1970-01-01.</summary>
    Date,
    /// <summary>TIMESTAMP (no time zone), as microseconds since 1970-01-01 00:00:00.</summary>
    Timestamp,
}

/// <summary>One value during evaluation; strings are UTF-8 views into the row or the clause's literals.</summary>
internal ref struct SqlValue
{
    public SqlType Type;
    public long Integer;
    public decimal Decimal;
    public double Double;
    public ReadOnlySpan<byte> Utf8;

    public static SqlValue Null => default;

    public static SqlValue Bool(bool value) => new() { Type = SqlType.Boolean, Integer = value ? 1 : 0 };

    public static SqlValue BigInt(long value) => new() { Type = SqlType.BigInt, Integer = value };

    public static SqlValue Dec(decimal value) => new() { Type = SqlType.Decimal, Decimal = value };

    public static SqlValue Dbl(double value) => new() { Type = SqlType.Double, Double = value };

    public static SqlValue Text(SqlType type, ReadOnlySpan<byte> utf8) => new() { Type = type, Utf8 = utf8 };

    public static SqlValue Temporal(SqlType type, long value) => new() { Type = type, Integer = value };

    public readonly bool IsNull => Type == SqlType.Null;

    public readonly bool IsTrue => Type == SqlType.Boolean && Integer != 0;

    public readonly bool IsNumeric => Type is SqlType.BigInt or SqlType.Decimal or SqlType.Double;

    public readonly double AsDouble() => Type switch
    {
        SqlType.BigInt => Integer,
        SqlType.Decimal => (double)Decimal,
        _ => Double,
    };
}

/// <summary>
/// Casts of quoted literals to the type they are compared with, limited to the forms whose result is certain
/// (DuckDB accepts more, e.g. <c>'2024-1-2'</c> as a date: such a literal makes the clause go to DuckDB).
/// </summary>
internal static class LiteralCasts
{
    public static bool TryBigInt(ReadOnlySpan<byte> text, out long value) =>
        Utf8Parser.TryParse(text, out value, out var consumed) && consumed == text.Length && IsPlainNumber(text, allowFraction: false);

    public static bool TryDouble(ReadOnlySpan<byte> text, out double value) =>
        Utf8Parser.TryParse(text, out value, out var consumed) && consumed == text.Length && double.IsFinite(value) && IsPlainNumber(text, allowFraction: true);

    public static bool TryBoolean(ReadOnlySpan<byte> text, out bool value)
    {
        value = text.Length == 4 && System.Text.Ascii.EqualsIgnoreCase(text, "true"u8);
        return value || (text.Length == 5 && System.Text.Ascii.EqualsIgnoreCase(text, "false"u8));
    }

    /// <summary>Digits with an optional leading minus and (if allowed) one decimal point with digits around it.</summary>
    private static bool IsPlainNumber(ReadOnlySpan<byte> text, bool allowFraction)
    {
        var start = text.Length > 0 && text[0] == '-' ? 1 : 0;
        var point = text.IndexOf((byte)'.');
        if (point >= 0 && (!allowFraction || point == start || point == text.Length - 1))
        {
            return false;
        }
        for (var i = start; i < text.Length; i++)
        {
            if (i != point && (uint)(text[i] - '0') > 9)
            {
                return false;
            }
        }
        return text.Length > start;
    }
}

/// <summary>
/// Strict ISO dates and timestamps, the forms DuckDB's JSON reader types as DATE and TIMESTAMP when every value of a
/// column has the same one (checked against DuckDB: <c>yyyy-MM-dd</c>; <c>yyyy-MM-ddTHH:mm:ss</c>,
/// <c>yyyy-MM-dd HH:mm:ss</c> and <c>yyyy-MM-ddTHH:mm:ssZ</c>, the Z dropped). Other shapes (fractions, offsets,
/// one-digit months) are left to DuckDB, whose detection of them depends on the whole column.
/// </summary>
internal static class IsoTemporal
{
    public const long MicrosPerDay = 86_400_000_000L;

    /// <summary>The timestamp shapes; a column must hold one only.</summary>
    public enum Shape : byte
    {
        T,
        Space,
        TZ,
    }

    public static bool TryDate(ReadOnlySpan<byte> s, out long days)
    {
        days = 0;
        if (s.Length != 10 || s[4] != '-' || s[7] != '-'
            || !TryDigits(s[..4], out var year) || !TryDigits(s.Slice(5, 2), out var month) || !TryDigits(s.Slice(8, 2), out var day)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }
        days = (long)(new DateOnly(year, month, day).DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber);
        return true;
    }

    /// <summary>A value of the JSON data: one of the three shapes, no fraction.</summary>
    public static bool TryTimestamp(ReadOnlySpan<byte> s, out long micros, out Shape shape)
    {
        micros = 0;
        shape = default;
        if (s.Length == 20 && s[19] == 'Z')
        {
            shape = Shape.TZ;
            s = s[..19];
        }
        else if (s.Length == 19)
        {
            shape = s[10] == 'T' ? Shape.T : Shape.Space;
        }
        else
        {
            return false;
        }
        if (s[10] != (shape == Shape.Space ? (byte)' ' : (byte)'T') || !TryDate(s[..10], out var days))
        {
            return false;
        }
        if (!TryTime(s[11..], out var timeMicros))
        {
            return false;
        }
        micros = days * MicrosPerDay + timeMicros;
        return true;
    }

    /// <summary>A quoted literal cast to TIMESTAMP: a date, or a date and time (<c>T</c> or space) with up to 6 fraction digits.</summary>
    public static bool TryTimestampLiteral(ReadOnlySpan<byte> s, out long micros)
    {
        micros = 0;
        if (TryDate(s, out var days))
        {
            micros = days * MicrosPerDay;
            return true;
        }
        if (s.Length < 19 || (s[10] != 'T' && s[10] != ' ') || !TryDate(s[..10], out days) || !TryTime(s.Slice(11, 8), out var time))
        {
            return false;
        }
        var fraction = s[19..];
        if (fraction.Length > 0)
        {
            if (fraction.Length is < 2 or > 7 || fraction[0] != '.' || !TryDigits(fraction[1..], out var digits))
            {
                return false;
            }
            for (var i = fraction.Length - 1; i < 6; i++)
            {
                digits *= 10;
            }
            time += digits;
        }
        micros = days * MicrosPerDay + time;
        return true;
    }

    private static bool TryTime(ReadOnlySpan<byte> s, out long micros)
    {
        micros = 0;
        if (s.Length != 8 || s[2] != ':' || s[5] != ':' || !TryDigits(s[..2], out var hour) || !TryDigits(s.Slice(3, 2), out var minute)
            || !TryDigits(s.Slice(6, 2), out var second) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }
        micros = ((hour * 60L + minute) * 60 + second) * 1_000_000;
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        foreach (var b in s)
        {
            var digit = (uint)(b - '0');
            if (digit > 9)
            {
                return false;
            }
            value = value * 10 + (int)digit;
        }
        return s.Length > 0;
    }
}
