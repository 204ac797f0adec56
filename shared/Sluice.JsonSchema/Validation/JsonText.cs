using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Sluice.JsonSchema.Validation;

/// <summary>
/// Reads JSON strings and property names without allocating a string when they contain no escape
/// sequences (the common case): the raw UTF-8 is then the value itself.
/// </summary>
internal static class JsonText
{
    public const int StackChars = 256;

    /// <summary>The UTF-8 of a string value without quotes, or empty with <paramref name="escaped"/> set.</summary>
    public static ReadOnlySpan<byte> UnescapedUtf8(in JsonElement text, out bool escaped)
    {
        ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(text);
        ReadOnlySpan<byte> inner = raw[1..^1];
        escaped = inner.Contains((byte)'\\');
        return escaped ? default : inner;
    }

    /// <summary>The UTF-8 of a property name, or empty with <paramref name="escaped"/> set.</summary>
    public static ReadOnlySpan<byte> UnescapedUtf8Name(in JsonProperty property, out bool escaped)
    {
        ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8PropertyName(property);
        escaped = raw.Contains((byte)'\\');
        return escaped ? default : raw;
    }

    /// <summary>
    /// The value as UTF-16, decoded into <paramref name="buffer"/> when it fits, else into an array
    /// rented into <paramref name="rented"/> (return it with <see cref="Return"/>), or the string
    /// itself when it has escapes.
    /// </summary>
    public static ReadOnlySpan<char> GetChars(in JsonElement text, Span<char> buffer, out char[]? rented)
    {
        ReadOnlySpan<byte> utf8 = UnescapedUtf8(text, out bool escaped);
        rented = null;
        return escaped ? text.GetString().AsSpan() : Decode(utf8, buffer, ref rented);
    }

    public static ReadOnlySpan<char> GetNameChars(in JsonProperty property, Span<char> buffer, out char[]? rented)
    {
        ReadOnlySpan<byte> utf8 = UnescapedUtf8Name(property, out bool escaped);
        rented = null;
        return escaped ? property.Name.AsSpan() : Decode(utf8, buffer, ref rented);
    }

    private static ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8, Span<char> buffer, scoped ref char[]? rented)
    {
        if (utf8.Length > buffer.Length)
        {
            rented = ArrayPool<char>.Shared.Rent(utf8.Length);
            buffer = rented;
        }

        int written = Encoding.UTF8.GetChars(utf8, buffer);
        return buffer[..written];
    }

    public static void Return(char[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>Length in Unicode code points, as draft 4 counts string length.</summary>
    public static int CodePointLength(in JsonElement text)
    {
        ReadOnlySpan<byte> utf8 = UnescapedUtf8(text, out bool escaped);
        if (escaped)
        {
            string value = text.GetString()!;
            int surrogatePairs = 0;
            for (int index = 1; index < value.Length; index++)
            {
                if (char.IsLowSurrogate(value[index]) && char.IsHighSurrogate(value[index - 1]))
                {
                    surrogatePairs++;
                }
            }

            return value.Length - surrogatePairs;
        }

        // Every code point has exactly one byte that is not a continuation byte (10xxxxxx).
        int continuationBytes = 0;
        foreach (byte current in utf8)
        {
            if ((current & 0xC0) == 0x80)
            {
                continuationBytes++;
            }
        }

        return utf8.Length - continuationBytes;
    }

    /// <summary>A short JSON rendering of a value for error messages.</summary>
    public static string Preview(in JsonElement value, int maxLength = 60)
    {
        string text = value.GetRawText();
        return text.Length <= maxLength ? text : string.Concat(text.AsSpan(0, maxLength), "...");
    }

    public static string Quote(string value, int maxLength = 60) =>
        "'" + (value.Length <= maxLength ? value : string.Concat(value.AsSpan(0, maxLength), "...")) + "'";
}
