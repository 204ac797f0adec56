using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Vtl.Syntax;

namespace Sluice.Vtl.Runtime;

/// <summary>java.lang.String's methods as templates call them; regular expressions run with a timeout.</summary>
internal static class StringMethods
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(200);
    private static readonly ConcurrentDictionary<string, Regex> Cache = new(StringComparer.Ordinal);
    private const int MaxCachedPatterns = 512;

    public static object? Invoke(string s, string name, object?[] args, RenderState state, Modifier at)
    {
        switch (name, args.Length)
        {
            case ("length", 0):
                return s.Length;
            case ("isEmpty", 0):
                return s.Length == 0;
            case ("isBlank", 0):
                return string.IsNullOrWhiteSpace(s);
            case ("charAt", 1) when args[0] is int i:
                if (i < 0 || i >= s.Length)
                {
                    throw Bounds($"index {i}, length {s.Length}", state, at);
                }

                return s[i].ToString();
            case ("substring", 1) when args[0] is int b:
                if (b < 0 || b > s.Length)
                {
                    throw Bounds($"begin {b}, end {s.Length}, length {s.Length}", state, at);
                }

                return s[b..];
            case ("substring", 2) when args[0] is int b && args[1] is int e:
                if (b < 0 || e > s.Length || b > e)
                {
                    throw Bounds($"begin {b}, end {e}, length {s.Length}", state, at);
                }

                return s[b..e];
            case ("indexOf", 1) when args[0] is string t1:
                return s.IndexOf(t1, StringComparison.Ordinal);
            case ("indexOf", 2) when args[0] is string t2 && args[1] is int from:
                return from >= s.Length ? (t2.Length == 0 ? s.Length : -1) : s.IndexOf(t2, Math.Max(0, from), StringComparison.Ordinal);
            case ("lastIndexOf", 1) when args[0] is string t3:
                return s.LastIndexOf(t3, StringComparison.Ordinal);
            case ("contains", 1) when args[0] is string t4:
                return s.Contains(t4, StringComparison.Ordinal);
            case ("startsWith", 1) when args[0] is string t5:
                return s.StartsWith(t5, StringComparison.Ordinal);
            case ("startsWith", 2) when args[0] is string t6 && args[1] is int off:
                return off >= 0 && off <= s.Length && s.AsSpan(off).StartsWith(t6, StringComparison.Ordinal);
            case ("endsWith", 1) when args[0] is string t7:
                return s.EndsWith(t7, StringComparison.Ordinal);
            case ("equals", 1):
                return args[0] is string t8 && t8 == s;
            case ("equalsIgnoreCase", 1):
                return args[0] is string t9 && string.Equals(s, t9, StringComparison.OrdinalIgnoreCase);
            case ("compareTo", 1) when args[0] is string t10:
                return CompareJava(s, t10);
            case ("compareToIgnoreCase", 1) when args[0] is string t11:
                return CompareJava(s.ToUpperInvariant().ToLowerInvariant(), t11.ToUpperInvariant().ToLowerInvariant());
            case ("toLowerCase", 0):
                return s.ToLowerInvariant();
            case ("toUpperCase", 0):
                return s.ToUpperInvariant();
            case ("trim", 0):
                return JavaTrim(s);
            case ("strip", 0):
                return s.Trim();
            case ("concat", 1) when args[0] is string t12:
                state.CheckStringLength((long)s.Length + t12.Length, at);
                return s + t12;
            case ("repeat", 1) when args[0] is int n:
                if (n < 0)
                {
                    throw state.Error($"count is negative: {n}", at.Line, at.Column);
                }

                state.CheckStringLength((long)s.Length * n, at);
                return new StringBuilder(s.Length * n).Insert(0, s, n).ToString();
            case ("replace", 2) when args[0] is string target && args[1] is string replacement:
                return Replace(s, target, replacement, state, at);
            case ("replaceAll", 2) when args[0] is string regex && args[1] is string replacement:
                return RegexReplace(s, regex, replacement, all: true, state, at);
            case ("replaceFirst", 2) when args[0] is string regex && args[1] is string replacement:
                return RegexReplace(s, regex, replacement, all: false, state, at);
            case ("matches", 1) when args[0] is string regex:
                return Run(() => Compile("^(?:" + regex + ")\\z", state, at).IsMatch(s), state, at);
            case ("split", 1) when args[0] is string regex:
                return Split(s, regex, 0, state, at);
            case ("split", 2) when args[0] is string regex && args[1] is int limit:
                return Split(s, regex, limit, state, at);
            case ("hashCode", 0):
                return JavaValues.JavaHash(s);
            case ("toString", 0):
                return s;
            default:
                return Members.NoMatch(name, args, Members.StringNoArg, state, at);
        }
    }

    private static int CompareJava(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            if (a[i] != b[i])
            {
                return a[i] - b[i];
            }
        }

        return a.Length - b.Length;
    }

    private static string JavaTrim(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && s[start] <= ' ')
        {
            start++;
        }

        while (end > start && s[end - 1] <= ' ')
        {
            end--;
        }

        return s[start..end];
    }

    private static string Replace(string s, string target, string replacement, RenderState state, Modifier at)
    {
        if (target.Length == 0)
        {
            // Java puts the replacement before every char and at the end.
            state.CheckStringLength(s.Length + ((long)s.Length + 1) * replacement.Length, at);
            var sb = new StringBuilder();
            foreach (var c in s)
            {
                sb.Append(replacement).Append(c);
            }

            return sb.Append(replacement).ToString();
        }

        if (replacement.Length > target.Length)
        {
            var count = 0L;
            for (var i = s.IndexOf(target, StringComparison.Ordinal); i >= 0; i = s.IndexOf(target, i + target.Length, StringComparison.Ordinal))
            {
                count++;
            }

            state.CheckStringLength(s.Length + count * (replacement.Length - target.Length), at);
        }

        return s.Replace(target, replacement, StringComparison.Ordinal);
    }

    private static string RegexReplace(string s, string pattern, string replacement, bool all, RenderState state, Modifier at)
    {
        var regex = Compile(pattern, state, at);
        var groups = regex.GetGroupNumbers().Length - 1;
        var parts = ParseReplacement(replacement, groups, state, at);
        var result = Run(() =>
        {
            var sb = new StringBuilder();
            var last = 0;
            for (var m = regex.Match(s); m.Success; m = m.NextMatch())
            {
                sb.Append(s, last, m.Index - last);
                foreach (var part in parts)
                {
                    if (part is string text)
                    {
                        sb.Append(text);
                    }
                    else
                    {
                        sb.Append(m.Groups[(int)part].Value);
                    }
                }

                last = m.Index + m.Length;
                if (sb.Length > state.Limits.MaxStringLength)
                {
                    break;
                }

                if (!all)
                {
                    break;
                }
            }

            return sb.Append(s, last, s.Length - last).ToString();
        }, state, at);
        state.CheckStringLength(result.Length, at);
        return result;
    }

    /// <summary>Java's replacement syntax: $n and ${name} are groups, a backslash quotes the next char.</summary>
    private static List<object> ParseReplacement(string replacement, int groups, RenderState state, Modifier at)
    {
        var parts = new List<object>();
        var text = new StringBuilder();
        for (var i = 0; i < replacement.Length; i++)
        {
            var c = replacement[i];
            if (c == '\\')
            {
                if (++i >= replacement.Length)
                {
                    throw state.Error("character to be escaped is missing in the replacement", at.Line, at.Column);
                }

                text.Append(replacement[i]);
            }
            else if (c == '$')
            {
                if (++i >= replacement.Length || !char.IsAsciiDigit(replacement[i]))
                {
                    throw state.Error("Illegal group reference in the replacement", at.Line, at.Column);
                }

                var group = replacement[i] - '0';
                while (i + 1 < replacement.Length && char.IsAsciiDigit(replacement[i + 1]) && group * 10 + (replacement[i + 1] - '0') <= groups)
                {
                    group = group * 10 + (replacement[++i] - '0');
                }

                if (group > groups)
                {
                    throw state.Error($"No group {group} in the pattern", at.Line, at.Column);
                }

                if (text.Length > 0)
                {
                    parts.Add(text.ToString());
                    text.Clear();
                }

                parts.Add(group);
            }
            else
            {
                text.Append(c);
            }
        }

        if (text.Length > 0)
        {
            parts.Add(text.ToString());
        }

        return parts;
    }

    /// <summary>Java's split: a zero-width match at 0 gives no leading empty string, trailing empties go when limit is 0.</summary>
    private static object?[] Split(string s, string pattern, int limit, RenderState state, Modifier at)
    {
        var regex = Compile(pattern, state, at);
        var result = Run(() =>
        {
            var list = new List<object?>();
            var index = 0;
            for (var m = regex.Match(s); m.Success; m = m.NextMatch())
            {
                if (limit > 0 && list.Count >= limit - 1)
                {
                    break;
                }

                if (m.Index == 0 && m.Length == 0 && index == 0)
                {
                    continue;
                }

                if (m.Length == 0 && m.Index >= s.Length)
                {
                    break;
                }

                list.Add(s[index..m.Index]);
                index = m.Index + m.Length;
                state.CheckCollectionSize(list.Count, at);
            }

            if (index == 0 && list.Count == 0)
            {
                return new List<object?> { s };
            }

            list.Add(s[index..]);
            if (limit == 0)
            {
                while (list.Count > 0 && ((string)list[^1]!).Length == 0)
                {
                    list.RemoveAt(list.Count - 1);
                }
            }

            return list;
        }, state, at);
        return [.. result];
    }

    private static Regex Compile(string pattern, RenderState state, Modifier at)
    {
        if (Cache.TryGetValue(pattern, out var cached))
        {
            return cached;
        }

        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException e)
        {
            throw state.Error($"Invalid regular expression '{pattern}': {e.Message}", at.Line, at.Column, e);
        }

        if (Cache.Count < MaxCachedPatterns)
        {
            Cache.TryAdd(pattern, regex);
        }

        return regex;
    }

    private static T Run<T>(Func<T> work, RenderState state, Modifier at)
    {
        try
        {
            return work();
        }
        catch (RegexMatchTimeoutException)
        {
            throw state.Limit("RegexTimeout", $"a regular expression ran longer than {RegexTimeout.TotalMilliseconds} ms");
        }
    }

    private static VtlRenderException Bounds(string detail, RenderState state, Modifier at) =>
        state.Error("String index out of range: " + detail, at.Line, at.Column);
}
