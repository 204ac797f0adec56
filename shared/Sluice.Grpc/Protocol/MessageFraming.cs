using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using Google.Protobuf;

namespace Sluice.Grpc.Protocol;

/// <summary>
/// The length-prefixed message framing of PROTOCOL-HTTP2 ("Length-Prefixed-Message"): a 1-byte
/// compressed flag, a 4-byte big-endian length, then the message bytes.
/// </summary>
internal static class MessageFraming
{
    public const int HeaderLength = 5;

    // Messages up to this size are serialized straight into one span of the output; larger ones
    // go through the IBufferWriter overload so the transport can hand out several segments.
    private const int SingleSpanLimit = 64 * 1024;

    /// <summary>
    /// Cuts one complete frame off the front of <paramref name="buffer"/>. Returns false when the
    /// buffer does not yet hold a whole frame. Throws RESOURCE_EXHAUSTED as soon as the declared
    /// length exceeds <paramref name="maxMessageSize"/>, before the payload has arrived, so an
    /// oversized message is never buffered.
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int? maxMessageSize, out ReadOnlySequence<byte> payload, out bool compressed)
    {
        payload = default;
        compressed = false;
        if (buffer.Length < HeaderLength)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[HeaderLength];
        buffer.Slice(0, HeaderLength).CopyTo(header);
        var flag = header[0];
        if (flag > 1)
        {
            throw new RpcException(StatusCode.Internal, $"Invalid compressed flag {flag} in message prefix.");
        }
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (maxMessageSize is { } max && length > (uint)max)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Received message exceeds the maximum configured message size ({length} > {max} bytes).");
        }
        if (buffer.Length - HeaderLength < length)
        {
            return false;
        }

        payload = buffer.Slice(HeaderLength, length);
        buffer = buffer.Slice(payload.End);
        compressed = flag == 1;
        return true;
    }

    /// <summary>Parses a frame's payload, decompressing it when the compressed flag is set.</summary>
    public static T ParsePayload<T>(MessageParser<T> parser, in ReadOnlySequence<byte> payload, bool compressed, string? encoding, int? maxMessageSize)
        where T : IMessage<T>
    {
        if (!compressed)
        {
            return parser.ParseFrom(payload);
        }
        // PROTOCOL-HTTP2: a compressed flag without a negotiated encoding is a protocol error.
        if (encoding is null || encoding.Equals(GrpcProtocol.IdentityEncoding, StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(StatusCode.Internal, "Received a compressed message but no grpc-encoding was negotiated.");
        }
        Debug.Assert(encoding.Equals(GrpcProtocol.GzipEncoding, StringComparison.OrdinalIgnoreCase), "Unsupported encodings are refused when the call starts.");
        var decompressed = Gunzip(payload, maxMessageSize);
        try
        {
            return parser.ParseFrom(decompressed.AsSpan(0, decompressed.Length));
        }
        finally
        {
            decompressed.Return();
        }
    }

    /// <summary>
    /// Writes <paramref name="message"/> as one frame. Throws RESOURCE_EXHAUSTED when it exceeds
    /// <paramref name="maxMessageSize"/>; returns the bytes written including the prefix.
    /// </summary>
    public static int WriteMessage(IBufferWriter<byte> output, IMessage message, int? maxMessageSize, bool gzip)
    {
        var size = message.CalculateSize();
        ThrowIfTooLarge(size, maxMessageSize);
        if (gzip)
        {
            var raw = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                message.WriteTo(raw.AsSpan(0, size));
                return WriteCompressed(output, raw.AsSpan(0, size));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(raw);
            }
        }
        if (size <= SingleSpanLimit)
        {
            var span = output.GetSpan(HeaderLength + size);
            WriteHeader(span, compressed: false, size);
            message.WriteTo(span.Slice(HeaderLength, size));
            output.Advance(HeaderLength + size);
        }
        else
        {
            WriteHeader(output.GetSpan(HeaderLength), compressed: false, size);
            output.Advance(HeaderLength);
            message.WriteTo(output);
        }
        return HeaderLength + size;
    }

    /// <summary>
    /// Writes an already serialized message as one frame, copying its bytes as they are. The
    /// caller vouches that they are a valid encoding of the method's response type.
    /// </summary>
    public static int WriteSerialized(IBufferWriter<byte> output, ReadOnlySpan<byte> message, int? maxMessageSize, bool gzip)
    {
        ThrowIfTooLarge(message.Length, maxMessageSize);
        if (gzip)
        {
            return WriteCompressed(output, message);
        }
        WriteHeader(output.GetSpan(HeaderLength), compressed: false, message.Length);
        output.Advance(HeaderLength);
        output.Write(message);
        return HeaderLength + message.Length;
    }

    public static void WriteHeader(Span<byte> destination, bool compressed, int length)
    {
        destination[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)length);
    }

    private static void ThrowIfTooLarge(int size, int? maxMessageSize)
    {
        if (maxMessageSize is { } max && size > max)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Sending message exceeds the maximum configured message size ({size} > {max} bytes).");
        }
    }

    private static int WriteCompressed(IBufferWriter<byte> output, ReadOnlySpan<byte> raw)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(raw);
        }
        var length = (int)compressed.Length;
        var span = output.GetSpan(HeaderLength + length);
        WriteHeader(span, compressed: true, length);
        compressed.GetBuffer().AsSpan(0, length).CopyTo(span[HeaderLength..]);
        output.Advance(HeaderLength + length);
        return HeaderLength + length;
    }

    private static PooledBuffer Gunzip(in ReadOnlySequence<byte> payload, int? maxMessageSize)
    {
        var compressedBytes = payload.ToArray();
        using var gzip = new GZipStream(new MemoryStream(compressedBytes, writable: false), CompressionMode.Decompress);
        var result = new PooledBuffer(Math.Max(256, compressedBytes.Length * 4));
        try
        {
            while (true)
            {
                if (result.Free == 0)
                {
                    result.Grow();
                }
                int read;
                try
                {
                    read = gzip.Read(result.FreeSpan);
                }
                catch (InvalidDataException ex)
                {
                    throw new RpcException(new Status(StatusCode.Internal, "Failed to decompress a gzip message: " + ex.Message));
                }
                if (read == 0)
                {
                    return result;
                }
                result.Length += read;
                if (maxMessageSize is { } max && result.Length > max)
                {
                    throw new RpcException(StatusCode.ResourceExhausted, $"Received message exceeds the maximum configured message size after decompression (> {max} bytes).");
                }
            }
        }
        catch
        {
            result.Return();
            throw;
        }
    }

    /// <summary>A growable byte buffer rented from the shared pool.</summary>
    private struct PooledBuffer(int capacity)
    {
        private byte[] _array = ArrayPool<byte>.Shared.Rent(capacity);

        public int Length;

        public readonly int Free => _array.Length - Length;

        public readonly Span<byte> FreeSpan => _array.AsSpan(Length);

        public readonly ReadOnlySpan<byte> AsSpan(int start, int length) => _array.AsSpan(start, length);

        public void Grow()
        {
            var bigger = ArrayPool<byte>.Shared.Rent(_array.Length * 2);
            _array.AsSpan(0, Length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = bigger;
        }

        public readonly void Return() => ArrayPool<byte>.Shared.Return(_array);
    }
}
