namespace Sluice.JsonSchema.Validation;

/// <summary>The draft-4 formats this library asserts.</summary>
internal enum FormatKind
{
    DateTime,
    Email,
    Hostname,
    Ipv4,
    Ipv6,
    Uri,
}

/// <summary>
/// Checks for the draft-4 formats, written against their RFCs: date-time (RFC 3339 section 5.6,
/// leap seconds only at 23:59:60 UTC), email (RFC 5322 addr-spec without comments or folding),
/// hostname (RFC 1123), ipv4 (dotted quad, no leading zeros), ipv6 (RFC 4291 section 2.2) and uri
/// (RFC 3986 absolute URI with optional fragment). ASCII only: other digits or letters are invalid.
/// </summary>
internal static class Formats
{
    public static bool TryParseKind(string name, out FormatKind kind)
    {
        switch (name)
        {
            case "date-time": kind = FormatKind.DateTime; return true;
            case "email": kind = FormatKind.Email; return true;
            case "hostname": kind = FormatKind.Hostname; return true;
            case "ipv4": kind = FormatKind.Ipv4; return true;
            case "ipv6": kind = FormatKind.Ipv6; return true;
            case "uri": kind = FormatKind.Uri; return true;
            default: kind = default; return false;
        }
    }

    public static string Name(FormatKind kind) => kind switch
    {
        FormatKind.DateTime => "date-time",
        FormatKind.Email => "email",
        FormatKind.Hostname => "hostname",
        FormatKind.Ipv4 => "ipv4",
        FormatKind.Ipv6 => "ipv6",
        _ => "uri",
    };

    public static bool IsValid(FormatKind kind, ReadOnlySpan<char> text) => kind switch
    {
        FormatKind.DateTime => IsDateTime(text),
        FormatKind.Email => IsEmail(text),
        FormatKind.Hostname => IsHostname(text),
        FormatKind.Ipv4 => IsIpv4(text),
        FormatKind.Ipv6 => IsIpv6(text),
        _ => IsUri(text),
    };

    public static bool IsDateTime(ReadOnlySpan<char> text)
    {
        // yyyy-mm-ddThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)
        if (text.Length < 20
            || !TryDigits(text[..4], out int year) || text[4] != '-'
            || !TryDigits(text.Slice(5, 2), out int month) || text[7] != '-'
            || !TryDigits(text.Slice(8, 2), out int day)
            || (text[10] != 'T' && text[10] != 't')
            || !TryDigits(text.Slice(11, 2), out int hour) || text[13] != ':'
            || !TryDigits(text.Slice(14, 2), out int minute) || text[16] != ':'
            || !TryDigits(text.Slice(17, 2), out int second))
        {
            return false;
        }

        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month)
            || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }

        ReadOnlySpan<char> rest = text[19..];
        if (rest[0] == '.')
        {
            int fractionDigits = 1;
            while (fractionDigits < rest.Length && char.IsAsciiDigit(rest[fractionDigits]))
            {
                fractionDigits++;
            }

            if (fractionDigits == 1)
            {
                return false;
            }

            rest = rest[fractionDigits..];
        }

        int offsetMinutes;
        if (rest is ['Z' or 'z'])
        {
            offsetMinutes = 0;
        }
        else if (rest.Length == 6 && rest[0] is '+' or '-' && rest[3] == ':'
                 && TryDigits(rest.Slice(1, 2), out int offsetHour) && TryDigits(rest.Slice(4, 2), out int offsetMinute)
                 && offsetHour <= 23 && offsetMinute <= 59)
        {
            offsetMinutes = (rest[0] == '-' ? -1 : 1) * (offsetHour * 60 + offsetMinute);
        }
        else
        {
            return false;
        }

        if (second == 60)
        {
            // A leap second is inserted at the end of a UTC day: 23:59:60 once the offset is removed.
            int utcMinuteOfDay = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440;
            return utcMinuteOfDay == 23 * 60 + 59;
        }

        return true;
    }

    public static bool IsEmail(ReadOnlySpan<char> text)
    {
        int at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1)
        {
            return false;
        }

        ReadOnlySpan<char> local = text[..at];
        ReadOnlySpan<char> domain = text[(at + 1)..];
        return IsEmailLocalPart(local) && IsEmailDomain(domain);
    }

    private static bool IsEmailLocalPart(ReadOnlySpan<char> local)
    {
        if (local.Length > 64)
        {
            return false;
        }

        if (local is ['"', .., '"'] && local.Length >= 2)
        {
            // quoted-string: printable ASCII, with backslash escapes for '"' and '\'.
            ReadOnlySpan<char> content = local[1..^1];
            for (int index = 0; index < content.Length; index++)
            {
                char current = content[index];
                if (current == '\\')
                {
                    if (++index >= content.Length || content[index] is < ' ' or > '~')
                    {
                        return false;
                    }
                }
                else if (current is '"' or < ' ' or > '~')
                {
                    return false;
                }
            }

            return true;
        }

        // dot-atom: atext runs separated by single dots.
        char previous = '.';
        foreach (char current in local)
        {
            if (current == '.')
            {
                if (previous == '.')
                {
                    return false;
                }
            }
            else if (!IsAtomText(current))
            {
                return false;
            }

            previous = current;
        }

        return previous != '.';
    }

    private static bool IsAtomText(char value) =>
        char.IsAsciiLetterOrDigit(value) || "!#$%&'*+-/=?^_`{|}~".Contains(value);

    private static bool IsEmailDomain(ReadOnlySpan<char> domain)
    {
        if (domain is ['[', .., ']'] && domain.Length >= 2)
        {
            ReadOnlySpan<char> literal = domain[1..^1];
            return literal.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase) ? IsIpv6(literal[5..]) : IsIpv4(literal);
        }

        return IsHostname(domain);
    }

    public static bool IsHostname(ReadOnlySpan<char> text)
    {
        if (text.Length is 0 or > 253)
        {
            return false;
        }

        foreach (Range labelRange in text.Split('.'))
        {
            ReadOnlySpan<char> label = text[labelRange];
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (char current in label)
            {
                if (!char.IsAsciiLetterOrDigit(current) && current != '-')
                {
                    return false;
                }
            }
        }

        return true;
    }

    public static bool IsIpv4(ReadOnlySpan<char> text)
    {
        int parts = 0;
        foreach (Range partRange in text.Split('.'))
        {
            ReadOnlySpan<char> part = text[partRange];
            if (++parts > 4 || part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0')
                || !TryDigits(part, out int value) || value > 255)
            {
                return false;
            }
        }

        return parts == 4;
    }

    public static bool IsIpv6(ReadOnlySpan<char> text)
    {
        int compression = text.IndexOf("::", StringComparison.Ordinal);
        if (compression < 0)
        {
            return CountIpv6Groups(text, ipv4Allowed: true) == 8;
        }

        ReadOnlySpan<char> head = text[..compression];
        ReadOnlySpan<char> tail = text[(compression + 2)..];
        if (tail.Contains("::", StringComparison.Ordinal) || (tail.Length > 0 && tail[0] == ':'))
        {
            return false;
        }

        int headGroups = head.IsEmpty ? 0 : CountIpv6Groups(head, ipv4Allowed: false);
        int tailGroups = tail.IsEmpty ? 0 : CountIpv6Groups(tail, ipv4Allowed: true);
        return headGroups >= 0 && tailGroups >= 0 && headGroups + tailGroups <= 7;
    }

    /// <summary>Number of 16-bit groups in colon-separated hex groups (a trailing IPv4 counts two), or -1 if malformed.</summary>
    private static int CountIpv6Groups(ReadOnlySpan<char> text, bool ipv4Allowed)
    {
        int groups = 0;
        while (true)
        {
            int colon = text.IndexOf(':');
            ReadOnlySpan<char> group = colon < 0 ? text : text[..colon];
            if (colon < 0 && ipv4Allowed && group.Contains('.'))
            {
                return IsIpv4(group) ? groups + 2 : -1;
            }

            if (group.Length is 0 or > 4 || group.ContainsAnyExcept(HexDigits))
            {
                return -1;
            }

            groups++;
            if (colon < 0)
            {
                return groups;
            }

            text = text[(colon + 1)..];
        }
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits =
        System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    private static readonly System.Buffers.SearchValues<char> UnreservedAndSubDelims =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=");

    public static bool IsUri(ReadOnlySpan<char> text)
    {
        int colon = text.IndexOf(':');
        if (colon <= 0 || !IsScheme(text[..colon]))
        {
            return false;
        }

        ReadOnlySpan<char> rest = text[(colon + 1)..];
        int hash = rest.IndexOf('#');
        if (hash >= 0)
        {
            if (!IsUriText(rest[(hash + 1)..], "/?"))
            {
                return false;
            }

            rest = rest[..hash];
        }

        int question = rest.IndexOf('?');
        if (question >= 0)
        {
            if (!IsUriText(rest[(question + 1)..], "/?"))
            {
                return false;
            }

            rest = rest[..question];
        }

        if (rest.StartsWith("//"))
        {
            rest = rest[2..];
            int slash = rest.IndexOf('/');
            ReadOnlySpan<char> authority = slash < 0 ? rest : rest[..slash];
            if (!IsAuthority(authority))
            {
                return false;
            }

            rest = slash < 0 ? [] : rest[slash..];
        }

        return IsUriText(rest, "/");
    }

    private static bool IsScheme(ReadOnlySpan<char> scheme)
    {
        if (!char.IsAsciiLetter(scheme[0]))
        {
            return false;
        }

        foreach (char current in scheme)
        {
            if (!char.IsAsciiLetterOrDigit(current) && current is not ('+' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAuthority(ReadOnlySpan<char> authority)
    {
        int at = authority.IndexOf('@');
        if (at >= 0)
        {
            if (!IsUriText(authority[..at], ":", allowAt: false))
            {
                return false;
            }

            authority = authority[(at + 1)..];
        }

        if (authority.Length > 0 && authority[0] == '[')
        {
            int close = authority.IndexOf(']');
            if (close < 0 || !IsIpLiteral(authority[1..close]))
            {
                return false;
            }

            authority = authority[(close + 1)..];
        }
        else
        {
            int portColon = authority.LastIndexOf(':');
            ReadOnlySpan<char> host = portColon < 0 ? authority : authority[..portColon];
            if (!IsUriText(host, "", allowAt: false, allowColon: false))
            {
                return false;
            }

            authority = portColon < 0 ? [] : authority[portColon..];
        }

        // What remains is an optional ":" port of digits.
        if (authority.IsEmpty)
        {
            return true;
        }

        return authority[0] == ':' && !authority[1..].ContainsAnyExceptInRange('0', '9');
    }

    private static bool IsIpLiteral(ReadOnlySpan<char> literal)
    {
        if (literal.Length > 0 && literal[0] is 'v' or 'V')
        {
            // IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
            int dot = literal.IndexOf('.');
            return dot > 1 && !literal[1..dot].ContainsAnyExcept(HexDigits)
                && dot < literal.Length - 1 && IsUriText(literal[(dot + 1)..], ":", allowAt: false, allowPercent: false);
        }

        return IsIpv6(literal);
    }

    /// <summary>
    /// Whether every character is unreserved, a sub-delimiter, a percent-encoded octet, one of
    /// <paramref name="extra"/>, or (when allowed) ':' and '@': RFC 3986 pchar plus extras.
    /// </summary>
    private static bool IsUriText(ReadOnlySpan<char> text, string extra, bool allowAt = true, bool allowColon = true, bool allowPercent = true)
    {
        for (int index = 0; index < text.Length; index++)
        {
            char current = text[index];
            if (UnreservedAndSubDelims.Contains(current) || extra.Contains(current)
                || (allowAt && current == '@') || (allowColon && current == ':'))
            {
                continue;
            }

            if (allowPercent && current == '%' && index + 2 < text.Length
                && HexDigits.Contains(text[index + 1]) && HexDigits.Contains(text[index + 2]))
            {
                index += 2;
                continue;
            }

            return false;
        }

        return true;
    }

    private static bool TryDigits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (char current in text)
        {
            if (!char.IsAsciiDigit(current))
            {
                return false;
            }

            value = value * 10 + (current - '0');
        }

        return true;
    }
}
