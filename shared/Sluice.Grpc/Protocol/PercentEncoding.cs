using System.Text;

namespace Sluice.Grpc.Protocol;

/// <summary>
/// The percent-encoding of grpc-message (PROTOCOL-HTTP2, "Responses"): UTF-8 bytes outside
/// printable ASCII 0x20-0x7E, and '%' itself, become %XX. Decoding is lenient: a malformed
/// escape is kept as text rather than failing the call.
/// </summary>
internal static class PercentEncoding
{
    public static string Encode(string value)
    {
        var needsEncoding = false;
        foreach (var c in value)
        {
            if (c < 0x20 || c > 0x7E || c == '%')
            {
                needsEncoding = true;
                break;
            }
        }
        if (!needsEncoding)
        {
            return value;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        var builder = new StringBuilder(bytes.Length * 2);
        foreach (var b in bytes)
        {
            if (b < 0x20 || b > 0x7E || b == (byte)'%')
            {
                builder.Append('%').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
            }
            else
            {
                builder.Append((char)b);
            }
        }
        return builder.ToString();
    }

    public static string Decode(string value)
    {
        if (!value.Contains('%'))
        {
            return value;
        }
        var text = new StringBuilder(value.Length);
        var pending = new List<byte>();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length && TryHex(value[i + 1], out var hi) && TryHex(value[i + 2], out var lo))
            {
                pending.Add((byte)((hi << 4) | lo));
                i += 2;
                continue;
            }
            FlushBytes(text, pending);
            text.Append(value[i]);
        }
        FlushBytes(text, pending);
        return text.ToString();
    }

    private static void FlushBytes(StringBuilder text, List<byte> pending)
    {
        if (pending.Count == 0)
        {
            return;
        }
        text.Append(Encoding.UTF8.GetString(pending.ToArray()));
        pending.Clear();
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);

    private static bool TryHex(char c, out int value)
    {
        value = c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
