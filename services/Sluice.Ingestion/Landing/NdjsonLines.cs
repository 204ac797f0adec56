namespace Sluice.Ingestion.Landing;

/// <summary>Splits a stream into newline-delimited lines without decoding them.</summary>
internal static class NdjsonLines
{
    /// <summary>
    /// The stream's lines from its current position (a last line without '\n' included; a trailing
    /// '\r' dropped), each with its 1-based number. A line's bytes are valid until the next one is read.
    /// </summary>
    public static IEnumerable<(int Number, ReadOnlyMemory<byte> Line)> Read(Stream stream)
    {
        var buffer = new byte[1 << 16];
        int start = 0, end = 0, number = 0;
        while (true)
        {
            var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                yield return (++number, Trim(buffer.AsMemory(start, newline)));
                start += newline + 1;
                continue;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            var read = stream.Read(buffer, end, buffer.Length - end);
            if (read == 0)
            {
                if (end > start)
                {
                    yield return (++number, Trim(buffer.AsMemory(start, end - start)));
                }
                yield break;
            }
            end += read;
        }
    }

    private static ReadOnlyMemory<byte> Trim(ReadOnlyMemory<byte> line) =>
        line.Length > 0 && line.Span[^1] == (byte)'\r' ? line[..^1] : line;
}
