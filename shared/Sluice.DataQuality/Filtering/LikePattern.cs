using System.Text;

namespace Sluice.DataQuality.Filtering;

/// <summary>
/// A LIKE pattern as DuckDB reads it: <c>%</c> any run of characters, <c>_</c> one character (code point), no escape
/// character unless ESCAPE names one, case-sensitive byte comparison (ILIKE: ASCII case folded; a non-ASCII value
/// sends the clause to DuckDB, which folds Unicode case).
/// </summary>
internal sealed class LikePattern
{
    private const int AnyOne = -1;
    private const int AnyRun = -2;

    /// <summary>Bytes to match (0-255) and the wildcards.</summary>
    private readonly int[] _elements;

    private LikePattern(int[] elements, bool ignoreCase)
    {
        _elements = elements;
        IgnoreCase = ignoreCase;
    }

    public bool IgnoreCase { get; }

    /// <summary>Null when the pattern is outside what is modelled: an escape character not before %, _ or itself, or non-ASCII with ILIKE.</summary>
    public static LikePattern? TryCompile(string pattern, char? escape, bool ignoreCase)
    {
        if (ignoreCase && !Ascii.IsValid(pattern))
        {
            return null;
        }
        var elements = new List<int>();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (escape == c)
            {
                // Only %, _ and the escape character itself are escaped; DuckDB's handling of anything else is not modelled.
                if (++i == pattern.Length || (pattern[i] != '%' && pattern[i] != '_' && pattern[i] != escape))
                {
                    return null;
                }
                AddLiteral(elements, pattern, ref i, ignoreCase);
                continue;
            }
            switch (c)
            {
                case '%':
                    elements.Add(AnyRun);
                    break;
                case '_':
                    elements.Add(AnyOne);
                    break;
                default:
                    AddLiteral(elements, pattern, ref i, ignoreCase);
                    break;
            }
        }
        return new LikePattern([.. elements], ignoreCase);
    }

    private static void AddLiteral(List<int> elements, string pattern, ref int i, bool ignoreCase)
    {
        var length = char.IsHighSurrogate(pattern[i]) && i + 1 < pattern.Length ? 2 : 1;
        foreach (var b in Encoding.UTF8.GetBytes(pattern.Substring(i, length)))
        {
            elements.Add(ignoreCase ? AsciiLower(b) : b);
        }
        i += length - 1;
    }

    /// <summary>Whether <paramref name="text"/> (valid UTF-8; ASCII for ILIKE) matches the whole pattern.</summary>
    public bool Matches(ReadOnlySpan<byte> text)
    {
        var elements = _elements;
        int t = 0, p = 0, runAt = -1, runText = 0;
        while (t < text.Length)
        {
            if (p < elements.Length && elements[p] == AnyOne)
            {
                t += CodePointLength(text[t]);
                p++;
            }
            else if (p < elements.Length && elements[p] >= 0 && elements[p] == (IgnoreCase ? AsciiLower(text[t]) : text[t]))
            {
                t++;
                p++;
            }
            else if (p < elements.Length && elements[p] == AnyRun)
            {
                runAt = p++;
                runText = t;
            }
            else if (runAt >= 0)
            {
                // Let the last % take one more character and try again from there.
                p = runAt + 1;
                runText += CodePointLength(text[runText]);
                t = runText;
            }
            else
            {
                return false;
            }
        }
        while (p < elements.Length && elements[p] == AnyRun)
        {
            p++;
        }
        return p == elements.Length && t == text.Length;
    }

    private static int AsciiLower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? b | 0x20 : b;

    private static int CodePointLength(byte lead) => lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
}
