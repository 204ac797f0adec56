namespace Sluice.DataQuality.Data;

/// <summary>The UTF-8 byte-order mark some tools put at the start of an NDJSON part.</summary>
internal static class ByteOrderMark
{
    /// <summary>Removes a leading UTF-8 BOM from the first <paramref name="filled"/> bytes; true if there was one.</summary>
    public static bool TryStrip(byte[] buffer, ref int filled)
    {
        if (filled < 3 || !buffer.AsSpan(0, 3).SequenceEqual("\uFEFF"u8))
        {
            return false;
        }
        buffer.AsSpan(3, filled - 3).CopyTo(buffer);
        filled -= 3;
        return true;
    }
}
