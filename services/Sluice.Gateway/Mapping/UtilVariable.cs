using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Sluice.Vtl;

namespace Sluice.Gateway.Mapping;

/// <summary>API Gateway's <c>$util</c>: escaping, JSON parsing, URL and base64 coding.</summary>
internal sealed class UtilVariable : IVtlObject
{
    public static readonly UtilVariable Instance = new();

    public bool TryGetProperty(string name, out object? value)
    {
        value = null;
        return false;
    }

    public bool TryInvoke(string method, IReadOnlyList<object?> arguments, out object? result)
    {
        result = null;
        if (arguments.Count != 1)
        {
            return false;
        }
        var text = arguments[0] as string ?? Convert.ToString(arguments[0], CultureInfo.InvariantCulture);
        if (text is null)
        {
            // Velocity passes null through; the call renders as written.
            return method is "escapeJavaScript" or "parseJson" or "urlEncode" or "urlDecode" or "base64Encode" or "base64Decode";
        }
        switch (method)
        {
            case "escapeJavaScript":
                result = EscapeJavaScript(text);
                return true;
            case "parseJson":
                using (var document = JsonDocument.Parse(text))
                {
                    result = VtlValues.FromJson(document.RootElement);
                }
                return true;
            case "urlEncode":
                // java.net.URLEncoder: space as '+', unreserved "*-._" kept.
                result = UrlEncode(text);
                return true;
            case "urlDecode":
                result = WebUtility.UrlDecode(text);
                return true;
            case "base64Encode":
                result = Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
                return true;
            case "base64Decode":
                result = Encoding.UTF8.GetString(Convert.FromBase64String(text));
                return true;
            default:
                return false;
        }
    }

    /// <summary>java.net.URLEncoder with UTF-8: letters, digits and "-_.*" kept, space as '+', the rest %XX.</summary>
    public static string UrlEncode(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '*')
            {
                builder.Append(c);
            }
            else if (c == ' ')
            {
                builder.Append('+');
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return builder.ToString();
    }

    /// <summary>Java's StringEscapeUtils.escapeJavaScript, which API Gateway uses.</summary>
    public static string EscapeJavaScript(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\'': builder.Append("\\'"); break;
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '/': builder.Append("\\/"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < 32 || c > 0x7e)
                    {
                        builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }
                    break;
            }
        }
        return builder.ToString();
    }
}
