using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace Sluice.Validation.CustomSql;

/// <summary>Feeds the lines of one NDJSON part to a <see cref="DatasetTableWriter"/>, as the evaluator reads them: blank lines carry no row, a leading BOM is skipped.</summary>
internal static class NdjsonRows
{
    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <exception cref="InvalidDataException">A line is not one JSON object; the message names the key and line.</exception>
    /// <exception cref="CustomSqlException">The copy's limits are exceeded.</exception>
    public static async Task CopyAsync(Stream part, string key, DatasetTableWriter table, CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(part, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        long lineNumber = 0;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = read.Buffer;
                while (buffer.PositionOf((byte)'\n') is { } newline)
                {
                    AddLine(table, buffer.Slice(0, newline), key, ++lineNumber);
                    buffer = buffer.Slice(buffer.GetPosition(1, newline));
                }
                if (read.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        AddLine(table, buffer, key, ++lineNumber);
                    }
                    return;
                }
                // A line is held whole until its end arrives: stop before it outgrows what the copy may hold.
                table.CheckPendingLine(buffer.Length);
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static void AddLine(DatasetTableWriter table, ReadOnlySequence<byte> line, string key, long lineNumber)
    {
        if (lineNumber == 1 && line.FirstSpan.StartsWith(ByteOrderMark))
        {
            line = line.Slice(ByteOrderMark.Length);
        }
        if (IsBlank(line))
        {
            return;
        }
        try
        {
            table.AddRow(line);
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"Object '{key}', line {lineNumber}: not valid JSON ({exception.Message})", exception);
        }
        catch (InvalidDataException exception)
        {
            throw new InvalidDataException($"Object '{key}', line {lineNumber}: {exception.Message}", exception);
        }
    }

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (var segment in line)
        {
            if (segment.Span.IndexOfAnyExcept(" \t\r"u8) >= 0)
            {
                return false;
            }
        }
        return true;
    }
}
