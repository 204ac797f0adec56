using System.Buffers.Binary;
using System.Buffers.Text;
using Sluice.DataQuality.Values;

namespace Sluice.DataQuality.Metrics;

/// <summary>
/// Encodes a cell as a key for distinct/unique counting: a type tag, then the value. Numbers are
/// canonical (1, 1.0 and 1e0 are one value) so counting matches a typed numeric column.
/// </summary>
internal static class ValueKey
{
    /// <summary>Upper bound of the encoded size of a cell.</summary>
    public static int MaxLength(ref ColumnCell cell) => cell.Utf8.Length + 9;

    /// <summary>True for JSON numbers with an integral value that fits a long: 7, 7.0 and 7e0 are all 7.</summary>
    public static bool TryGetInteger(ref ColumnCell cell, out long value)
    {
        value = 0;
        if (cell.Kind != CellKind.Number)
        {
            return false;
        }
        var text = cell.Utf8;
        if (Utf8Parser.TryParse(text, out value, out var consumed) && consumed == text.Length)
        {
            return true;
        }
        if (cell.TryGetNumber(out var number) && Math.Floor(number) == number && number >= long.MinValue && number < 9.2233720368547758E18)
        {
            value = (long)number;
            return true;
        }
        return false;
    }

    /// <summary>
    /// Packs a string of up to 7 bytes, or of 8 bytes whose last byte is not below 8, into one integer that no other
    /// such string shares: the bytes little-endian, and for up to 7 bytes the length in the top byte (0..7, which is
    /// why an 8-byte string ending in a byte below 8 is left out).
    /// </summary>
    public static bool TryPackShortString(ReadOnlySpan<byte> text, out long packed)
    {
        packed = 0;
        var length = text.Length;
        if (length > 8 || (length == 8 && text[7] < 8))
        {
            return false;
        }
        ulong bits;
        if (length >= 4)
        {
            // Two overlapping loads; the overlap holds the same bytes in both, so OR keeps them.
            bits = BinaryPrimitives.ReadUInt32LittleEndian(text)
                | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(text[(length - 4)..]) << ((length - 4) * 8));
        }
        else
        {
            bits = 0;
            for (var i = 0; i < length; i++)
            {
                bits |= (ulong)text[i] << (i * 8);
            }
        }
        if (length < 8)
        {
            bits |= (ulong)length << 56;
        }
        packed = (long)bits;
        return true;
    }

    public static int Encode(ref ColumnCell cell, Span<byte> destination)
    {
        switch (cell.Kind)
        {
            case CellKind.Number:
                if (TryGetInteger(ref cell, out var integer))
                {
                    return WriteInteger(destination, integer);
                }
                var text = cell.Utf8;
                if (cell.TryGetNumber(out var number))
                {
                    destination[0] = (byte)'d';
                    BinaryPrimitives.WriteInt64LittleEndian(destination[1..], BitConverter.DoubleToInt64Bits(number));
                    return 9;
                }
                return WriteTagged(destination, (byte)'c', text);
            case CellKind.True:
                destination[0] = (byte)'t';
                return 1;
            case CellKind.False:
                destination[0] = (byte)'f';
                return 1;
            case CellKind.String:
                return WriteTagged(destination, (byte)'s', cell.Utf8);
            default:
                return WriteTagged(destination, (byte)'c', cell.Utf8);
        }
    }

    private static int WriteInteger(Span<byte> destination, long value)
    {
        destination[0] = (byte)'n';
        BinaryPrimitives.WriteInt64LittleEndian(destination[1..], value);
        return 9;
    }

    private static int WriteTagged(Span<byte> destination, byte tag, ReadOnlySpan<byte> value)
    {
        destination[0] = tag;
        value.CopyTo(destination[1..]);
        return value.Length + 1;
    }
}
