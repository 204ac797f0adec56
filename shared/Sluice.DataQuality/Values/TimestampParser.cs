using System.Globalization;
using System.Text;

namespace Sluice.DataQuality.Values;

/// <summary>
/// Reads dates and timestamps from UTF-8 text without allocating for the common ISO-8601 forms
/// (<c>yyyy-MM-dd</c>, <c>yyyy-MM-ddTHH:mm[:ss[.fffffff]]</c>, a space instead of <c>T</c>, and
/// <c>Z</c> or <c>±HH:mm</c> offsets). Other forms fall back to invariant-culture parsing. A value
/// without an offset is taken as UTC, Glue's session time zone.
/// </summary>
internal static class TimestampParser
{
    public static bool TryParse(ReadOnlySpan<byte> utf8, out DateTimeOffset value)
    {
        if (TryParseIso(utf8, out value))
        {
            return true;
        }
        if (utf8.Length is 0 or > 64)
        {
            return false;
        }
        Span<char> chars = stackalloc char[64];
        var length = Encoding.UTF8.GetChars(utf8, chars);
        return DateTimeOffset.TryParse(chars[..length], CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out value);
    }

    /// <summary>
    /// Fast path for the most common form, <c>yyyy-MM-ddTHH:mm:ss</c> (or a space for <c>T</c>) with an optional
    /// <c>Z</c>: the Unix time in seconds, computed without building a <see cref="DateTimeOffset"/>. Any other form
    /// returns false and goes through <see cref="TryParse"/>; both agree wherever this one answers.
    /// </summary>
    public static bool TryParseUtcSeconds(ReadOnlySpan<byte> s, out long unixSeconds)
    {
        unixSeconds = 0;
        if (s.Length is not (19 or 20) || (s.Length == 20 && (s[19] | 0x20) != 'z'))
        {
            return false;
        }
        s = s[..19]; // a fixed length lets the JIT drop the bounds checks below
        if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
        {
            return false;
        }
        // Each digit minus '0' must be 0..9 (as unsigned, a byte below '0' wraps to a large value).
        uint y0 = (uint)(s[0] - '0'), y1 = (uint)(s[1] - '0'), y2 = (uint)(s[2] - '0'), y3 = (uint)(s[3] - '0');
        uint mo0 = (uint)(s[5] - '0'), mo1 = (uint)(s[6] - '0'), d0 = (uint)(s[8] - '0'), d1 = (uint)(s[9] - '0');
        uint h0 = (uint)(s[11] - '0'), h1 = (uint)(s[12] - '0'), mi0 = (uint)(s[14] - '0'), mi1 = (uint)(s[15] - '0');
        uint s0 = (uint)(s[17] - '0'), s1 = (uint)(s[18] - '0');
        if ((y0 > 9) | (y1 > 9) | (y2 > 9) | (y3 > 9) | (mo0 > 9) | (mo1 > 9) | (d0 > 9) | (d1 > 9)
            | (h0 > 9) | (h1 > 9) | (mi0 > 9) | (mi1 > 9) | (s0 > 9) | (s1 > 9))
        {
            return false;
        }
        var year = (int)(y0 * 1000 + y1 * 100 + y2 * 10 + y3);
        var month = (int)(mo0 * 10 + mo1);
        var day = (int)(d0 * 10 + d1);
        var hour = (int)(h0 * 10 + h1);
        var minute = (int)(mi0 * 10 + mi1);
        var second = (int)(s0 * 10 + s1);
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }
        unixSeconds = DaysFromUnixEpoch(year, month, day) * 86400L + hour * 3600 + minute * 60 + second;
        return true;
    }

    private static int DaysInMonth(int year, int month) =>
        month == 2 ? (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28) : 30 + ((month + (month >> 3)) & 1);

    /// <summary>Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil), for years 1..9999.</summary>
    private static long DaysFromUnixEpoch(int year, int month, int day)
    {
        year -= month <= 2 ? 1 : 0;
        var era = year / 400;
        var yearOfEra = year - era * 400;
        var dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        var dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146097L + dayOfEra - 719468;
    }

    private static bool TryParseIso(ReadOnlySpan<byte> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 10 || s[4] != '-' || s[7] != '-'
            || !TryDigits(s, 0, 4, out var year) || !TryDigits(s, 5, 2, out var month) || !TryDigits(s, 8, 2, out var day)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }
        if (s.Length == 10)
        {
            value = new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero);
            return true;
        }
        if ((s[10] != 'T' && s[10] != ' ') || s.Length < 16 || s[13] != ':'
            || !TryDigits(s, 11, 2, out var hour) || !TryDigits(s, 14, 2, out var minute) || hour > 23 || minute > 59)
        {
            return false;
        }
        var index = 16;
        var second = 0;
        long ticks = 0;
        if (index < s.Length && s[index] == ':')
        {
            if (!TryDigits(s, index + 1, 2, out second) || second > 59)
            {
                return false;
            }
            index += 3;
            if (index < s.Length && (s[index] == '.' || s[index] == ','))
            {
                index++;
                var scale = (long)TimeSpan.TicksPerSecond;
                var digits = 0;
                while (index < s.Length && char.IsAsciiDigit((char)s[index]))
                {
                    scale /= 10;
                    ticks += (s[index] - '0') * scale;
                    index++;
                    digits++;
                }
                if (digits == 0)
                {
                    return false;
                }
            }
        }

        var offset = TimeSpan.Zero;
        if (index < s.Length)
        {
            var sign = s[index];
            if ((sign == 'Z' || sign == 'z') && index + 1 == s.Length)
            {
                index++;
            }
            else if (sign == '+' || sign == '-')
            {
                if (!TryDigits(s, index + 1, 2, out var offsetHours))
                {
                    return false;
                }
                var offsetMinutes = 0;
                var rest = index + 3;
                if (rest < s.Length)
                {
                    if (s[rest] == ':')
                    {
                        rest++;
                    }
                    if (!TryDigits(s, rest, 2, out offsetMinutes))
                    {
                        return false;
                    }
                    rest += 2;
                }
                if (rest != s.Length || offsetHours > 14 || offsetMinutes > 59)
                {
                    return false;
                }
                offset = new TimeSpan(offsetHours, offsetMinutes, 0);
                if (sign == '-')
                {
                    offset = -offset;
                }
                index = rest;
            }
            else
            {
                return false;
            }
        }
        if (index != s.Length)
        {
            return false;
        }
        value = new DateTimeOffset(year, month, day, hour, minute, second, offset).AddTicks(ticks);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> s, int start, int count, out int value)
    {
        value = 0;
        if (start + count > s.Length)
        {
            return false;
        }
        for (var i = start; i < start + count; i++)
        {
            var d = s[i] - '0';
            if ((uint)d > 9)
            {
                return false;
            }
            value = value * 10 + d;
        }
        return true;
    }
}
