using System.Text;

namespace Sluice.JsonSchema;

/// <summary>RFC 6901 JSON Pointer escaping and parsing.</summary>
internal static class JsonPointer
{
    public static void AppendEscaped(StringBuilder pointer, string token)
    {
        foreach (char current in token)
        {
            switch (current)
            {
                case '~': pointer.Append("~0"); break;
                case '/': pointer.Append("~1"); break;
                default: pointer.Append(current); break;
            }
        }
    }

    public static string Append(string pointer, string token)
    {
        if (token.AsSpan().IndexOfAny('~', '/') < 0)
        {
            return pointer + "/" + token;
        }

        var builder = new StringBuilder(pointer).Append('/');
        AppendEscaped(builder, token);
        return builder.ToString();
    }

    public static string Append(string pointer, int index) => pointer + "/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Splits a pointer ("" or "/a/b") into unescaped tokens; null if malformed.</summary>
    public static List<string>? Parse(string pointer)
    {
        var tokens = new List<string>();
        if (pointer.Length == 0)
        {
            return tokens;
        }

        if (pointer[0] != '/')
        {
            return null;
        }

        foreach (string raw in pointer[1..].Split('/'))
        {
            var token = new StringBuilder(raw.Length);
            for (int index = 0; index < raw.Length; index++)
            {
                if (raw[index] != '~')
                {
                    token.Append(raw[index]);
                    continue;
                }

                if (index + 1 >= raw.Length || raw[index + 1] is not ('0' or '1'))
                {
                    return null;
                }

                token.Append(raw[++index] == '0' ? '~' : '/');
            }

            tokens.Add(token.ToString());
        }

        return tokens;
    }
}
