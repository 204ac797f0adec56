using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using Sluice.Query.V1;

namespace Sluice.Query.Statements;

/// <summary>
/// One result row as the protobuf encoding of its <see cref="Record"/>'s fields, written value by value. The bytes are
/// exactly those <see cref="Record.WriteTo(CodedOutputStream)"/> writes for the same fields, but no <see cref="Field"/>
/// or string is allocated per value: at a million rows those objects, not the values, were most of a result's cost
/// (allocation, then garbage collection, then protobuf measuring and copying each again).
/// </summary>
public sealed class ResultRecordEncoder
{
    // Record.fields (field 1, length-delimited).
    private const byte RecordFieldTag = 0x0A;

    // Field's oneof members: is_null = 1 and boolean_value = 2 (varint), long_value = 3 (varint), double_value = 4
    // (fixed 64-bit), string_value = 5 and blob_value = 6 (length-delimited).
    private const byte IsNullTag = 0x08;
    private const byte BooleanTag = 0x10;
    private const byte LongTag = 0x18;
    private const byte DoubleTag = 0x21;
    private const byte StringTag = 0x2A;
    private const byte BlobTag = 0x32;

    // A text of at most this many UTF-16 chars is at most 123 UTF-8 bytes, so both its length and its Field's length
    // fit in one varint byte, written once the text is encoded.
    private const int ShortTextChars = 41;

    private byte[] _buffer = new byte[512];
    private int _length;

    /// <summary>The encoded fields written since the last <see cref="Clear"/>.</summary>
    internal ReadOnlySpan<byte> Fields => _buffer.AsSpan(0, _length);

    internal void Clear() => _length = 0;

    public void WriteNull()
    {
        var span = Reserve(4);
        span[0] = RecordFieldTag;
        span[1] = 2;
        span[2] = IsNullTag;
        span[3] = 1;
        _length += 4;
    }

    public void WriteBoolean(bool value)
    {
        var span = Reserve(4);
        span[0] = RecordFieldTag;
        span[1] = 2;
        span[2] = BooleanTag;
        span[3] = value ? (byte)1 : (byte)0;
        _length += 4;
    }

    public void WriteLong(long value)
    {
        var span = Reserve(13);
        span[0] = RecordFieldTag;
        span[2] = LongTag;
        var size = WriteVarint(span[3..], (ulong)value);
        span[1] = (byte)(1 + size);
        _length += 3 + size;
    }

    public void WriteDouble(double value)
    {
        var span = Reserve(11);
        span[0] = RecordFieldTag;
        span[1] = 9;
        span[2] = DoubleTag;
        BinaryPrimitives.WriteDoubleLittleEndian(span[3..], value);
        _length += 11;
    }

    public void WriteString(ReadOnlySpan<char> value)
    {
        if (value.Length <= ShortTextChars)
        {
            var span = Reserve(4 + (ShortTextChars * 3));
            var size = Encoding.UTF8.GetBytes(value, span[4..]);
            WriteShortHeader(span, StringTag, size);
            _length += 4 + size;
            return;
        }
        var byteCount = Encoding.UTF8.GetByteCount(value);
        var body = WriteLongHeader(StringTag, byteCount);
        Encoding.UTF8.GetBytes(value, body);
        _length += byteCount;
    }

    /// <summary>A text field of UTF-8 bytes (already valid UTF-8).</summary>
    public void WriteUtf8String(ReadOnlySpan<byte> value) => WriteBytes(StringTag, value);

    public void WriteBlob(ReadOnlySpan<byte> value) => WriteBytes(BlobTag, value);

    /// <summary>
    /// A text field of Redshift's timestamp form, <c>yyyy-MM-dd HH:mm:ss</c> and a fraction only when there is one, to the
    /// microsecond, without its trailing zeros (2024-01-02 03:04:05.123): the text
    /// <c>ToString("yyyy-MM-dd HH:mm:ss.FFFFFF").TrimEnd('.')</c> gives, written digit by digit (the general formatter was
    /// the costliest part of encoding a row with a timestamp).
    /// </summary>
    public void WriteTimestamp(DateTime value)
    {
        const int MaxText = 26;
        var span = Reserve(4 + MaxText);
        var text = span[4..];
        var (year, month, day) = value;
        var time = value.Ticks % TimeSpan.TicksPerDay;
        WriteDigits(text[..4], year);
        text[4] = (byte)'-';
        WriteDigits(text.Slice(5, 2), month);
        text[7] = (byte)'-';
        WriteDigits(text.Slice(8, 2), day);
        text[10] = (byte)' ';
        WriteDigits(text.Slice(11, 2), (int)(time / TimeSpan.TicksPerHour));
        text[13] = (byte)':';
        WriteDigits(text.Slice(14, 2), (int)(time / TimeSpan.TicksPerMinute % 60));
        text[16] = (byte)':';
        WriteDigits(text.Slice(17, 2), (int)(time / TimeSpan.TicksPerSecond % 60));
        var size = 19;
        // "FFFFFF" truncates to the microsecond.
        var microseconds = (int)(time % TimeSpan.TicksPerSecond / TimeSpan.TicksPerMicrosecond);
        if (microseconds > 0)
        {
            text[19] = (byte)'.';
            WriteDigits(text.Slice(20, 6), microseconds);
            size = MaxText;
            while (text[size - 1] == (byte)'0')
            {
                size--;
            }
        }
        WriteShortHeader(span, StringTag, size);
        _length += 4 + size;
    }

    /// <summary>Any field, as protobuf encodes it: for the values an engine has no direct writing for.</summary>
    public void Write(Field field)
    {
        var size = field.CalculateSize();
        var span = Reserve(1 + 5 + size);
        span[0] = RecordFieldTag;
        var prefix = 1 + WriteVarint(span[1..], (uint)size);
        field.WriteTo(span.Slice(prefix, size));
        _length += prefix + size;
    }

    private void WriteBytes(byte tag, ReadOnlySpan<byte> value)
    {
        value.CopyTo(WriteLongHeader(tag, value.Length));
        _length += value.Length;
    }

    /// <summary>Writes a Field header of a length-delimited member and returns the space for its <paramref name="size"/> bytes.</summary>
    private Span<byte> WriteLongHeader(byte tag, int size)
    {
        var span = Reserve(1 + 5 + 1 + 5 + size);
        var fieldSize = 1 + VarintSize((uint)size) + size;
        span[0] = RecordFieldTag;
        var at = 1 + WriteVarint(span[1..], (uint)fieldSize);
        span[at++] = tag;
        at += WriteVarint(span[at..], (uint)size);
        _length += at;
        return span.Slice(at, size);
    }

    /// <summary>The four header bytes in front of a length-delimited member of at most 125 bytes, written after it.</summary>
    private static void WriteShortHeader(Span<byte> span, byte tag, int size)
    {
        span[0] = RecordFieldTag;
        span[1] = (byte)(2 + size);
        span[2] = tag;
        span[3] = (byte)size;
    }

    /// <summary><paramref name="value"/> in decimal, zero-padded to the width of <paramref name="digits"/>.</summary>
    private static void WriteDigits(Span<byte> digits, int value)
    {
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            digits[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    private Span<byte> Reserve(int bytes)
    {
        if (_buffer.Length - _length < bytes)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));
        }
        return _buffer.AsSpan(_length);
    }

    internal static int VarintSize(ulong value) => value < 0x80 ? 1 : (System.Numerics.BitOperations.Log2(value) / 7) + 1;

    internal static int WriteVarint(Span<byte> span, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        return i;
    }
}
