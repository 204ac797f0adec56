using System.Buffers;
using System.Text.Json;

namespace Sluice.Benchmarks.DataQuality;

/// <summary>
/// The floor any NDJSON evaluator pays: reading the file and every JSON token with <see cref="Utf8JsonReader"/>
/// over a pooled buffer, and nothing else. Two variants; the faster is the reference.
/// </summary>
internal static class ParseOnly
{
    private const int BufferSize = 1 << 20;

    /// <summary>One reader over the whole buffer with <c>AllowMultipleValues</c>: no line splitting at all.</summary>
    public static long ReadAllTokensMultiValue(string path)
    {
        using var file = Open(path);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        var state = new JsonReaderState(new JsonReaderOptions { AllowMultipleValues = true });
        var filled = 0;
        long rows = 0;
        long tokens = 0;
        while (true)
        {
            var read = file.Read(buffer, filled, buffer.Length - filled);
            filled += read;
            var final = read == 0;
            var reader = new Utf8JsonReader(buffer.AsSpan(0, filled), final, state);
            while (reader.Read())
            {
                tokens++;
                if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0)
                {
                    rows++;
                }
            }
            state = reader.CurrentState;
            var consumed = (int)reader.BytesConsumed;
            buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
            filled -= consumed;
            if (final)
            {
                break;
            }
        }
        ArrayPool<byte>.Shared.Return(buffer);
        GC.KeepAlive(tokens);
        return rows;
    }

    /// <summary>Split lines on '\n', then one reader per line reading every token (the evaluator's structure).</summary>
    public static long ReadAllTokensPerLine(string path)
    {
        using var file = Open(path);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        var filled = 0;
        long rows = 0;
        long tokens = 0;
        while (true)
        {
            var read = file.Read(buffer, filled, buffer.Length - filled);
            var final = read == 0;
            filled += read;
            var data = buffer.AsSpan(0, filled);
            var start = 0;
            while (true)
            {
                var newline = data[start..].IndexOf((byte)'\n');
                if (newline < 0)
                {
                    break;
                }
                tokens += ReadLine(data.Slice(start, newline));
                rows++;
                start += newline + 1;
            }
            if (final)
            {
                if (start < filled)
                {
                    tokens += ReadLine(data[start..]);
                    rows++;
                }
                break;
            }
            data[start..].CopyTo(buffer);
            filled -= start;
        }
        ArrayPool<byte>.Shared.Return(buffer);
        GC.KeepAlive(tokens);
        return rows;
    }

    private static long ReadLine(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line, isFinalBlock: true, state: default);
        long tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }
        return tokens;
    }

    public static FileStream Open(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
}
