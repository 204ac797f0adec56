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
    /// <c>ToString("yyyy-MM-dd HH:mm:ss.FFFFFF").TrimEnd('.')</c> gives, written two digits at a time (the general formatter was
    /// the costliest part of encoding a row with a timestamp).
    /// </summary>
    public void WriteTimestamp(DateTime value)
    {
        const int MaxText = 26;
        var span = Reserve(4 + MaxText);
        var text = span[4..];
        var (year, month, day) = value;
        var time = value.Ticks % TimeSpan.TicksPerDay;
        var seconds = (int)(time / TimeSpan.TicksPerSecond);
        WriteTwoDigits(text, year / 100);
        WriteTwoDigits(text[2..], year % 100);
        text[4] = (byte)'-';
        WriteTwoDigits(text[5..], month);
        text[7] = (byte)'-';
        WriteTwoDigits(text[8..], day);
        text[10] = (byte)' ';
        WriteTwoDigits(text[11..], seconds / 3600);
        text[13] = (byte)':';
        WriteTwoDigits(text[14..], seconds / 60 % 60);
        text[16] = (byte)':';
        WriteTwoDigits(text[17..], seconds % 60);
        var size = 19;
        // "FFFFFF" truncates to the microsecond.
        var microseconds = (int)(time % TimeSpan.TicksPerSecond / TimeSpan.TicksPerMicrosecond);
        if (microseconds > 0)
        {
            text[19] = (byte)'.';
            WriteTwoDigits(text[20..], microseconds / 10000);
            WriteTwoDigits(text[22..], microseconds / 100 % 100);
            WriteTwoDigits(text[24..], microseconds % 100);
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

    // "00" to "99", two bytes each: a timestamp's 10 pairs of digits without a division per digit (they were most of
    // the cost of writing one).
    private static ReadOnlySpan<byte> DigitPairs =>
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    /// <summary><paramref name="value"/> (0 to 99) as two decimal digits at the start of <paramref name="digits"/>.</summary>
    private static void WriteTwoDigits(Span<byte> digits, int value)
    {
        System.Diagnostics.Debug.Assert(value is >= 0 and < 100, "Two digits hold 0 to 99.");
        DigitPairs.Slice(value * 2, 2).CopyTo(digits);
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
