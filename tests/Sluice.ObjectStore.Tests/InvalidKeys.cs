namespace Sluice.ObjectStore.Tests;

/// <summary>Keys and prefixes every store must reject, by readable case name (theory data shows the name).</summary>
internal static class InvalidKeys
{
    public static readonly IReadOnlyDictionary<string, (string Key, ObjectKeyProblem Problem)> Cases =
        new Dictionary<string, (string, ObjectKeyProblem)>
        {
            ["empty"] = ("", ObjectKeyProblem.Empty),
            ["leading slash"] = ("/raw/orders/part-00000.ndjson", ObjectKeyProblem.Absolute),
            ["absolute system path"] = ("/etc/passwd", ObjectKeyProblem.Absolute),
            ["dot-dot segment"] = ("raw/../../etc/passwd", ObjectKeyProblem.DotSegment),
            ["only dot-dot"] = ("..", ObjectKeyProblem.DotSegment),
            ["dot-dot at end"] = ("raw/orders/..", ObjectKeyProblem.DotSegment),
            ["dot segment"] = ("raw/./orders", ObjectKeyProblem.DotSegment),
            ["only dot"] = (".", ObjectKeyProblem.DotSegment),
            ["trailing slash"] = ("raw/orders/", ObjectKeyProblem.EmptySegment),
            ["double slash"] = ("raw//orders", ObjectKeyProblem.EmptySegment),
            ["backslash"] = ("raw\\orders", ObjectKeyProblem.Backslash),
            ["backslash traversal"] = ("..\\..\\etc\\passwd", ObjectKeyProblem.Backslash),
            ["NUL"] = ("raw/orders\0.ndjson", ObjectKeyProblem.ControlCharacter),
            ["newline"] = ("raw/orders\n.ndjson", ObjectKeyProblem.ControlCharacter),
            ["tab"] = ("raw/\torders", ObjectKeyProblem.ControlCharacter),
            ["DEL"] = ("raw/orders\u007F", ObjectKeyProblem.ControlCharacter),
            ["C1 control"] = ("raw/orders\u0085", ObjectKeyProblem.ControlCharacter),
            ["unpaired surrogate"] = ("raw/orders\uD800.ndjson", ObjectKeyProblem.InvalidUnicode),
            ["1025 ASCII bytes"] = (LongKey(1025, "a"), ObjectKeyProblem.TooLong),
            ["1026 bytes of three-byte characters"] = (LongKey(1026, "€"), ObjectKeyProblem.TooLong),
        };

    public static readonly IReadOnlyDictionary<string, (string Prefix, ObjectKeyProblem Problem)> PrefixCases =
        new Dictionary<string, (string, ObjectKeyProblem)>
        {
            ["leading slash"] = ("/raw/", ObjectKeyProblem.Absolute),
            ["dot-dot segment"] = ("raw/../", ObjectKeyProblem.DotSegment),
            ["dot segment"] = ("./raw", ObjectKeyProblem.DotSegment),
            ["double slash"] = ("raw//", ObjectKeyProblem.EmptySegment),
            ["backslash"] = ("raw\\", ObjectKeyProblem.Backslash),
            ["NUL"] = ("raw\0", ObjectKeyProblem.ControlCharacter),
            ["1025 bytes"] = (LongKey(1025, "a"), ObjectKeyProblem.TooLong),
        };

    /// <summary>A key of exactly <paramref name="utf8Bytes"/> bytes in 60-character segments (well under any file name limit).</summary>
    public static string LongKey(int utf8Bytes, string unit)
    {
        int unitBytes = System.Text.Encoding.UTF8.GetByteCount(unit);
        var builder = new System.Text.StringBuilder();
        int bytes = 0;
        int charsInSegment = 0;
        while (bytes < utf8Bytes)
        {
            if (charsInSegment == 60 && utf8Bytes - bytes > unitBytes)
            {
                builder.Append('/');
                bytes++;
                charsInSegment = 0;
                continue;
            }

            if (utf8Bytes - bytes < unitBytes)
            {
                builder.Append('x');
                bytes++;
            }
            else
            {
                builder.Append(unit);
                bytes += unitBytes;
            }

            charsInSegment++;
        }

        return builder.ToString();
    }
}
