using System.Buffers;
using System.Diagnostics;

namespace Sluice.Benchmarks.BareKestrel;

/// <summary>
/// Just enough of the protobuf wire format (protobuf.dev/programming-guides/encoding) for
/// ServerStream and health Check: read a StreamRequest or HealthCheckRequest and write replies
/// byte-identical to what a protobuf library would, so every server in the benchmark puts the
/// same bytes on the wire.
/// </summary>
internal static class StreamWire
{
    private const int VarintType = 0;
    private const int Fixed64Type = 1;
    private const int LengthDelimitedType = 2;
    private const int Fixed32Type = 5;

    // EchoResponse tags: field number << 3 | wire type.
    private const byte MessageTag = (1 << 3) | LengthDelimitedType;
    private const byte PayloadTag = (2 << 3) | LengthDelimitedType;
    private const byte SequenceTag = (3 << 3) | VarintType;

    /// <summary>
    /// A framed grpc.health.v1.HealthCheckResponse { status = SERVING (1) }: field 1, varint 1.
    /// </summary>
    public static ReadOnlySpan<byte> ServingHealthCheckReply => [0, 0, 0, 0, 2, (1 << 3) | VarintType, 1];

    /// <summary>The fields of sluice.interop.v1.StreamRequest the stream needs.</summary>
    public readonly record struct StreamRequest(byte[] Message, int Count, int PayloadSize);

    /// <summary>Parses a StreamRequest (message = 1, count = 2, payload_size = 3), skipping unknown fields.</summary>
    public static bool TryParseStreamRequest(ReadOnlySpan<byte> input, out StreamRequest request)
    {
        request = default;
        var message = Array.Empty<byte>();
        int count = 0, payloadSize = 0;
        while (!input.IsEmpty)
        {
            if (!TryReadField(ref input, out var field, out var value, out var bytes, out var lengthDelimited))
            {
                return false;
            }

            // int32 fields are sign-extended to 64 bits on the wire; truncation restores them.
            switch (field)
            {
                case 1 when lengthDelimited:
                    message = bytes.ToArray();
                    break;
                case 2 when !lengthDelimited:
                    count = (int)value;
                    break;
                case 3 when !lengthDelimited:
                    payloadSize = (int)value;
                    break;
            }
        }

        request = new StreamRequest(message, count, payloadSize);
        return true;
    }

    /// <summary>
    /// Parses a grpc.health.v1.HealthCheckRequest (service = 1), skipping unknown fields;
    /// <paramref name="serviceNamed"/> tells whether it names a service (not "").
    /// </summary>
    public static bool TryParseHealthCheckRequest(ReadOnlySpan<byte> input, out bool serviceNamed)
    {
        serviceNamed = false;
        while (!input.IsEmpty)
        {
            if (!TryReadField(ref input, out var field, out _, out var bytes, out var lengthDelimited))
            {
                return false;
            }

            if (field == 1 && lengthDelimited)
            {
                serviceNamed = !bytes.IsEmpty;
            }
        }

        return true;
    }

    /// <summary>
    /// Reads one field: a varint's <paramref name="value"/>, or a length-delimited field's
    /// <paramref name="bytes"/> (then <paramref name="lengthDelimited"/> is true); fixed-size
    /// fields are skipped.
    /// </summary>
    private static bool TryReadField(ref ReadOnlySpan<byte> input, out ulong field, out ulong value, out ReadOnlySpan<byte> bytes, out bool lengthDelimited)
    {
        field = value = 0;
        bytes = default;
        lengthDelimited = false;
        if (!TryReadVarint(ref input, out var tag))
        {
            return false;
        }

        field = tag >> 3;
        switch ((int)(tag & 7))
        {
            case VarintType:
                return TryReadVarint(ref input, out value);
            case LengthDelimitedType:
                if (!TryReadVarint(ref input, out var length) || length > (ulong)input.Length)
                {
                    return false;
                }

                bytes = input[..(int)length];
                lengthDelimited = true;
                input = input[(int)length..];
                return true;
            case Fixed64Type when input.Length >= 8:
                input = input[8..];
                return true;
            case Fixed32Type when input.Length >= 4:
                input = input[4..];
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Writes one framed EchoResponse { message = "&lt;prefix&gt;-&lt;sequence&gt;", payload = payloadSize
    /// zero bytes, sequence } and returns the bytes written. Fields at their default value are
    /// omitted, as proto3 serializers do.
    /// </summary>
    public static int WriteFramedReply(IBufferWriter<byte> writer, ReadOnlySpan<byte> messagePrefix, int payloadSize, int sequence)
    {
        Debug.Assert(sequence >= 0 && payloadSize >= 0);
        Span<byte> digits = stackalloc byte[11];
        sequence.TryFormat(digits, out var digitCount);

        var messageLength = messagePrefix.Length + 1 + digitCount;
        var bodyLength = 1 + VarintLength((uint)messageLength) + messageLength;
        if (payloadSize > 0)
        {
            bodyLength += 1 + VarintLength((uint)payloadSize) + payloadSize;
        }

        if (sequence > 0)
        {
            bodyLength += 1 + VarintLength((uint)sequence);
        }

        var frameLength = GrpcFrame.PrefixLength + bodyLength;
        var frame = writer.GetSpan(frameLength)[..frameLength];
        GrpcFrame.WritePrefix(frame, bodyLength);
        var rest = frame[GrpcFrame.PrefixLength..];

        rest[0] = MessageTag;
        rest = WriteVarint(rest[1..], (uint)messageLength);
        messagePrefix.CopyTo(rest);
        rest[messagePrefix.Length] = (byte)'-';
        digits[..digitCount].CopyTo(rest[(messagePrefix.Length + 1)..]);
        rest = rest[messageLength..];

        if (payloadSize > 0)
        {
            rest[0] = PayloadTag;
            rest = WriteVarint(rest[1..], (uint)payloadSize);
            rest[..payloadSize].Clear();
            rest = rest[payloadSize..];
        }

        if (sequence > 0)
        {
            rest[0] = SequenceTag;
            rest = WriteVarint(rest[1..], (uint)sequence);
        }

        Debug.Assert(rest.IsEmpty);
        writer.Advance(frameLength);
        return frameLength;
    }

    private static bool TryReadVarint(ref ReadOnlySpan<byte> input, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && !input.IsEmpty; shift += 7)
        {
            var current = input[0];
            input = input[1..];
            value |= (ulong)(current & 0x7F) << shift;
            if (current < 0x80)
            {
                return true;
            }
        }

        return false;
    }

    private static int VarintLength(uint value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    private static Span<byte> WriteVarint(Span<byte> destination, uint value)
    {
        var index = 0;
        while (value >= 0x80)
        {
            destination[index++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[index++] = (byte)value;
        return destination[index..];
    }
}
