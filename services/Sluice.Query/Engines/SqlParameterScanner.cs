using System.Text;

namespace Sluice.Query.Engines;

/// <summary>
/// Finds the <c>:name</c> parameter references of a SQL text, skipping string literals, quoted
/// identifiers, comments, dollar-quoted bodies and <c>::</c> casts, so that parameters are
/// checked against the request and bound by the engine (never spliced into the text).
/// </summary>
internal static class SqlParameterScanner
{
    /// <summary>One reference: where <c>:name</c> starts and its length including the colon.</summary>
    internal readonly record struct Reference(int Start, int Length, string Name);

    public static List<Reference> Scan(string sql)
    {
        var references = new List<Reference>();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (c is '\'' or '"' or '`')
            {
                i = SkipQuoted(sql, i, c);
            }
            else if (c == '-' && At(sql, i + 1) == '-')
            {
                var end = sql.IndexOf('\n', i);
                i = end < 0 ? sql.Length : end + 1;
            }
            else if (c == '/' && At(sql, i + 1) == '*')
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + 2;
            }
            else if (c == '$' && TryDollarTag(sql, i, out var tag))
            {
                var end = sql.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + tag.Length;
            }
            else if (c == ':' && At(sql, i + 1) == ':')
            {
                i += 2; // A PostgreSQL cast, not a parameter.
            }
            else if (c == ':' && IsNameStart(At(sql, i + 1)) && (i == 0 || !IsNamePart(sql[i - 1])))
            {
                var end = i + 1;
                while (end < sql.Length && IsNamePart(sql[end]))
                {
                    end++;
                }
                references.Add(new Reference(i, end - i, sql[(i + 1)..end]));
                i = end;
            }
            else
            {
                i++;
            }
        }
        return references;
    }

    /// <summary>Rewrites each <c>:name</c> to a positional placeholder made by <paramref name="placeholder"/> (1-based).</summary>
    public static string ToPositional(string sql, IReadOnlyList<Reference> references, IReadOnlyList<string> order, Func<int, string> placeholder)
    {
        var text = new StringBuilder(sql.Length + 8);
        var last = 0;
        foreach (var reference in references)
        {
            text.Append(sql, last, reference.Start - last);
            text.Append(placeholder(IndexOf(order, reference.Name) + 1));
            last = reference.Start + reference.Length;
        }
        text.Append(sql, last, sql.Length - last);
        return text.ToString();
    }

    private static int IndexOf(IReadOnlyList<string> order, string name)
    {
        for (var i = 0; i < order.Count; i++)
        {
            if (order[i] == name)
            {
                return i;
            }
        }
        throw new InvalidOperationException($"Parameter {name} has no position.");
    }

    private static int SkipQuoted(string sql, int start, char quote)
    {
        var i = start + 1;
        while (i < sql.Length)
        {
            if (sql[i] == quote)
            {
                if (At(sql, i + 1) == quote)
                {
                    i += 2; // Doubled quote inside the literal.
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return sql.Length;
    }

    private static bool TryDollarTag(string sql, int start, out string tag)
    {
        var end = start + 1;
        while (end < sql.Length && (char.IsLetterOrDigit(sql[end]) || sql[end] == '_'))
        {
            end++;
        }
        if (end < sql.Length && sql[end] == '$' && (end == start + 1 || !char.IsDigit(sql[start + 1])))
        {
            tag = sql[start..(end + 1)];
            return true;
        }
        tag = "";
        return false;
    }

    private static char At(string s, int i) => i < s.Length ? s[i] : '\0';

    private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsNamePart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
