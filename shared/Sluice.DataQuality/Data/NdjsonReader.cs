using System.Buffers;
using System.Text.Json;

namespace Sluice.DataQuality.Data;

/// <summary>
/// Splits an NDJSON stream into lines inside one pooled buffer and passes each non-blank line to the row
/// processor as a span: no copy per line, no string per line. The buffer only grows when a single line is
/// longer than it, so memory stays bounded by the longest line.
/// </summary>
internal static class NdjsonReader
{
    /// <summary>Reads one part; returns the buffer to keep using (it may have been replaced by a larger one).</summary>
    public static async Task<byte[]> ReadPartAsync(Stream stream, byte[] buffer, IRowSink processor, int part, CancellationToken cancellationToken)
    {
        var filled = 0;
        long line = 0;
        var first = true;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (filled == buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, filled).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (filled > 0)
                {
                    ProcessLine(buffer.AsSpan(0, filled), processor, part, ++line);
                }
                return buffer;
            }

            var start = filled;
            filled += read;
            if (first && filled >= 3)
            {
                first = false;
                if (ByteOrderMark.TryStrip(buffer, ref filled))
                {
                    start = 0;
                }
            }

            var consumed = ProcessCompleteLines(buffer.AsSpan(0, filled), Math.Max(0, start), processor, part, ref line);
            if (consumed > 0)
            {
                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }
        }
    }

    /// <summary>Processes every line that ends inside <paramref name="data"/>; returns the bytes consumed.</summary>
    private static int ProcessCompleteLines(ReadOnlySpan<byte> data, int searchFrom, IRowSink processor, int part, ref long line)
    {
        var lineStart = 0;
        // Bytes before searchFrom were already searched for '\n' in a previous call and hold none.
        var newline = data[searchFrom..].IndexOf((byte)'\n');
        if (newline < 0)
        {
            return 0;
        }
        newline += searchFrom;
        while (newline >= 0)
        {
            ProcessLine(data[lineStart..newline], processor, part, ++line);
            lineStart = newline + 1;
            var next = data[lineStart..].IndexOf((byte)'\n');
            newline = next < 0 ? -1 : lineStart + next;
        }
        return lineStart;
    }

    private static void ProcessLine(ReadOnlySpan<byte> line, IRowSink processor, int part, long lineNumber)
    {
        if (IsBlank(line))
        {
            return;
        }
        try
        {
            processor.ProcessRow(line);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            throw LineError(ex, part, lineNumber);
        }
    }

    /// <summary>Empty and whitespace-only lines carry no row (NDJSON writers often end with one).</summary>
    public static bool IsBlank(ReadOnlySpan<byte> line) =>
        line.Length == 0 || (line[0] != (byte)'{' && line.IndexOfAnyExcept(" \t\r"u8) < 0);

    /// <summary>The error for an unreadable row: names the part (1-based) and line.</summary>
    public static InvalidDataException LineError(Exception error, int part, long lineNumber) => error is JsonException
        ? new InvalidDataException($"Part {part + 1}, line {lineNumber}: not valid JSON ({error.Message})", error)
        : new InvalidDataException($"Part {part + 1}, line {lineNumber}: {error.Message}", error);
}

/// <summary>Receives the rows of a sequential read, one JSON object (a non-blank line) per call.</summary>
internal interface IRowSink
{
    /// <exception cref="JsonException">The line is not valid JSON.</exception>
    /// <exception cref="InvalidDataException">The line is JSON but not an object.</exception>
    void ProcessRow(ReadOnlySpan<byte> json);
}
