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
