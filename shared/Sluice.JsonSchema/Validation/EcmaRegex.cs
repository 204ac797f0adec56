using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.JsonSchema.Validation;

/// <summary>
/// JSON Schema patterns are ECMA 262 regular expressions, matched anywhere in the string. .NET's
/// dialect differs where it matters for validation: <c>\d</c>, <c>\w</c> and <c>\s</c> are
/// Unicode-aware in .NET but not (or differently) in ECMA 262, <c>$</c> also matches before a final
/// newline, <c>.</c> matches <c>\r</c>, <c>\p{Letter}</c> long names are unknown, and characters
/// outside the BMP are two UTF-16 units that a quantifier would split. This rewrites a pattern into
/// the .NET pattern with ECMA semantics, and caches compiled results.
/// </summary>
internal static class EcmaRegex
{
    // ECMA 262 WhiteSpace and LineTerminator code points (what \s matches there).
    private const string EcmaWhitespaceClassBody = @"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff";
    private const string EcmaDotClass = @"[^\n\r\u2028\u2029]";
    private const int MaxCachedPatterns = 2048;

    private static readonly ConcurrentDictionary<(string Pattern, TimeSpan Timeout), Regex> Cache = new();

    private static readonly Dictionary<string, string> UnicodePropertyNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Letter"] = "L", ["Cased_Letter"] = "L", ["Uppercase_Letter"] = "Lu", ["Lowercase_Letter"] = "Ll",
        ["Titlecase_Letter"] = "Lt", ["Modifier_Letter"] = "Lm", ["Other_Letter"] = "Lo",
        ["Mark"] = "M", ["Combining_Mark"] = "M", ["Nonspacing_Mark"] = "Mn", ["Spacing_Mark"] = "Mc", ["Enclosing_Mark"] = "Me",
        ["Number"] = "N", ["Decimal_Number"] = "Nd", ["digit"] = "Nd", ["Letter_Number"] = "Nl", ["Other_Number"] = "No",
        ["Punctuation"] = "P", ["punct"] = "P", ["Connector_Punctuation"] = "Pc", ["Dash_Punctuation"] = "Pd",
        ["Open_Punctuation"] = "Ps", ["Close_Punctuation"] = "Pe", ["Initial_Punctuation"] = "Pi",
        ["Final_Punctuation"] = "Pf", ["Other_Punctuation"] = "Po",
        ["Symbol"] = "S", ["Math_Symbol"] = "Sm", ["Currency_Symbol"] = "Sc", ["Modifier_Symbol"] = "Sk", ["Other_Symbol"] = "So",
        ["Separator"] = "Z", ["Space_Separator"] = "Zs", ["Line_Separator"] = "Zl", ["Paragraph_Separator"] = "Zp",
        ["Other"] = "C", ["Control"] = "Cc", ["cntrl"] = "Cc", ["Format"] = "Cf", ["Surrogate"] = "Cs",
        ["Private_Use"] = "Co", ["Unassigned"] = "Cn",
    };

    /// <summary>Compiles (or returns the cached) matcher for an ECMA 262 pattern.</summary>
    /// <exception cref="ArgumentException">The pattern is not a valid regular expression.</exception>
    public static Regex Get(string ecmaPattern, TimeSpan matchTimeout)
    {
        if (Cache.TryGetValue((ecmaPattern, matchTimeout), out Regex? cached))
        {
            return cached;
        }

        var regex = new Regex(
            Translate(ecmaPattern),
            RegexOptions.CultureInvariant | RegexOptions.Compiled,
            matchTimeout);
        if (Cache.Count >= MaxCachedPatterns)
        {
            Cache.Clear();
        }

        return Cache.GetOrAdd((ecmaPattern, matchTimeout), regex);
    }

    /// <summary>Rewrites an ECMA 262 pattern into a .NET pattern that matches the same strings.</summary>
    /// <exception cref="ArgumentException">The pattern is malformed in a way the rewrite detects.</exception>
    public static string Translate(string pattern)
    {
        var output = new StringBuilder(pattern.Length + 16);
        bool inClass = false;
        for (int index = 0; index < pattern.Length; index++)
        {
            char current = pattern[index];
            if (current == '\\')
            {
                if (index + 1 >= pattern.Length)
                {
                    throw new ArgumentException("the pattern ends with a lone backslash");
                }

                index = TranslateEscape(pattern, index + 1, inClass, output);
                continue;
            }

            if (inClass)
            {
                if (current == ']')
                {
                    inClass = false;
                    output.Append(']');
                }
                else if (current == '[')
                {
                    // Literal in ECMA; .NET would read "-[" as class subtraction.
                    output.Append(@"\[");
                }
                else
                {
                    output.Append(current);
                }

                continue;
            }

            switch (current)
            {
                case '[':
                    index = OpenClass(pattern, index, output, out inClass);
                    break;
                case '$':
                    output.Append(@"\z");
                    break;
                case '.':
                    output.Append(EcmaDotClass);
                    break;
                default:
                    if (char.IsHighSurrogate(current) && index + 1 < pattern.Length && char.IsLowSurrogate(pattern[index + 1]))
                    {
                        // Keep the pair one atom, so a following quantifier repeats the whole character.
                        output.Append("(?:").Append(current).Append(pattern[index + 1]).Append(')');
                        index++;
                    }
                    else
                    {
                        output.Append(current);
                    }

                    break;
            }
        }

        if (inClass)
        {
            throw new ArgumentException("a character class is not closed with ']'");
        }

        return output.ToString();
    }

    private static int OpenClass(string pattern, int index, StringBuilder output, out bool inClass)
    {
        bool negated = index + 1 < pattern.Length && pattern[index + 1] == '^';
        int next = negated ? index + 2 : index + 1;
        if (next < pattern.Length && pattern[next] == ']')
        {
            // ECMA's [] matches nothing and [^] matches anything; .NET reads ']' there as a literal.
            output.Append(negated ? @"[\s\S]" : "(?!)");
            inClass = false;
            return next;
        }

        output.Append(negated ? "[^" : "[");
        inClass = true;
        return next - 1;
    }

    /// <summary>Translates the escape whose letter is at <paramref name="index"/>; returns the last index consumed.</summary>
    private static int TranslateEscape(string pattern, int index, bool inClass, StringBuilder output)
    {
        char letter = pattern[index];
        switch (letter)
        {
            case 'd':
                output.Append(inClass ? "0-9" : "[0-9]");
                return index;
            case 'D':
                output.Append(inClass ? @"\D" : "[^0-9]");
                return index;
            case 'w':
                output.Append(inClass ? "a-zA-Z0-9_" : "[a-zA-Z0-9_]");
                return index;
            case 'W':
                output.Append(inClass ? @"\W" : "[^a-zA-Z0-9_]");
                return index;
            case 's':
                output.Append(inClass ? EcmaWhitespaceClassBody : "[" + EcmaWhitespaceClassBody + "]");
                return index;
            case 'S':
                output.Append(inClass ? @"\S" : "[^" + EcmaWhitespaceClassBody + "]");
                return index;
            case 'b' when !inClass:
                output.Append(@"(?:(?<=[a-zA-Z0-9_])(?![a-zA-Z0-9_])|(?<![a-zA-Z0-9_])(?=[a-zA-Z0-9_]))");
                return index;
            case 'B' when !inClass:
                output.Append(@"(?:(?<=[a-zA-Z0-9_])(?=[a-zA-Z0-9_])|(?<![a-zA-Z0-9_])(?![a-zA-Z0-9_]))");
                return index;
            case 'p' or 'P' when index + 1 < pattern.Length && pattern[index + 1] == '{':
                return TranslateProperty(pattern, index, output);
            case 'u' when index + 1 < pattern.Length && pattern[index + 1] == '{':
                return TranslateCodePoint(pattern, index, inClass, output);
            default:
                output.Append('\\').Append(letter);
                return index;
        }
    }

    private static int TranslateProperty(string pattern, int index, StringBuilder output)
    {
        int close = pattern.IndexOf('}', index + 2);
        if (close < 0)
        {
            throw new ArgumentException(@"a \p{...} property escape is not closed");
        }

        string name = pattern[(index + 2)..close];
        int equals = name.IndexOf('=');
        if (equals >= 0)
        {
            // General_Category=Letter and gc=Letter spell the same thing.
            name = name[(equals + 1)..];
        }

        string netName = UnicodePropertyNames.TryGetValue(name, out string? shortName) ? shortName : name;
        output.Append('\\').Append(pattern[index]).Append('{').Append(netName).Append('}');
        return close;
    }

    private static int TranslateCodePoint(string pattern, int index, bool inClass, StringBuilder output)
    {
        int close = pattern.IndexOf('}', index + 2);
        if (close < 0 || !int.TryParse(pattern.AsSpan(index + 2, close - index - 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int codePoint)
            || codePoint > 0x10FFFF || codePoint is >= 0xD800 and <= 0xDFFF)
        {
            throw new ArgumentException(@"a \u{...} escape is malformed");
        }

        string text = char.ConvertFromUtf32(codePoint);
        if (text.Length == 1)
        {
            output.Append(@"\u").Append(codePoint.ToString("X4", CultureInfo.InvariantCulture));
        }
        else if (inClass)
        {
            throw new ArgumentException("characters outside the Basic Multilingual Plane are not supported inside a character class");
        }
        else
        {
            output.Append("(?:").Append(text).Append(')');
        }

        return close;
    }
}
