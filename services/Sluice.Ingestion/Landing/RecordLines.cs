using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Sluice.Ingestion.Landing;

/// <summary>
/// The records of one page as NDJSON lines, ready to append to a spool, in a buffer rented from the
/// shared pool (returned by <see cref="Dispose"/>). Each record is copied byte for byte as the
/// source wrote it, so the raw zone holds the source's own text and nothing is re-encoded; only a
/// record that spans several lines (a pretty-printed page) is rewritten compactly onto one.
/// </summary>
internal sealed class RecordLines : IDisposable
{
    private byte[] _buffer;
    private int _length;

    private RecordLines(int capacity) => _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));

    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, _length);

    public int Count { get; private set; }

    /// <summary>
    /// The lines of the records in <paramref name="records"/> (a JSON array), with the greatest value
    /// of <paramref name="watermarkField"/> among them and <paramref name="watermark"/>.
    /// </summary>
    public static RecordLines From(JsonElement records, string? watermarkField, ref string? watermark)
    {
        // The array's own text plus a newline per record holds every record copied as it is.
        var lines = new RecordLines(JsonMarshal.GetRawUtf8Value(records).Length + records.GetArrayLength());
        ArrayBufferWriter<byte>? compacted = null;
        Utf8JsonWriter? writer = null;
        try
        {
            foreach (var record in records.EnumerateArray())
            {
                var raw = JsonMarshal.GetRawUtf8Value(record);
                if (raw.IndexOfAny((byte)'\n', (byte)'\r') < 0)
                {
                    lines.Append(raw);
                }
                else
                {
                    // Inside a JSON string a line break is always escaped, so a raw one is whitespace
                    // between tokens: rewriting the record without it changes no value.
                    compacted ??= new ArrayBufferWriter<byte>();
                    compacted.ResetWrittenCount();
                    writer ??= new Utf8JsonWriter(compacted);
                    writer.Reset(compacted);
                    record.WriteTo(writer);
                    writer.Flush();
                    lines.Append(compacted.WrittenSpan);
                }
                lines.Count++;
                if (watermarkField is not null && Runner.JsonPath.Navigate(record, watermarkField) is { } value && Runner.JsonPath.Text(value) is { } text)
                {
                    watermark = Jobs.JobRunner.Max(watermark, text);
                }
            }
            return lines;
        }
        catch
        {
            lines.Dispose();
            throw;
        }
        finally
        {
            writer?.Dispose();
        }
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Append(ReadOnlySpan<byte> record)
    {
        var needed = _length + record.Length + 1;
        if (needed > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        record.CopyTo(_buffer.AsSpan(_length));
        _buffer[_length + record.Length] = (byte)'\n';
        _length = needed;
    }
}
