using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Grpc.Core;

namespace Sluice.Gateway.GrpcProxy;

/// <summary>
/// gRPC's length-prefixed messages on an HTTP/2 stream (PROTOCOL-HTTP2: a compressed-flag byte,
/// a 4-byte big-endian length, the message). One message is read or written at a time, so the
/// stream's HTTP/2 flow control reaches the peer: nothing more is read until a message is passed on.
/// </summary>
internal static class GrpcMessageFrames
{
    private const int HeaderLength = 5;

    /// <summary>
    /// The next message; null at the end of the stream. A compressed message (the proxy only
    /// passes identity-encoded ones), a message over <paramref name="maxBytes"/> or a stream that
    /// ends inside a message throw a <see cref="BadRequestStreamException"/> with the status to end the call with.
    /// </summary>
    public static async ValueTask<byte[]?> ReadAsync(PipeReader reader, int maxBytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= HeaderLength)
            {
                var (flag, length) = ReadPrefix(buffer);
                if (flag != 0)
                {
                    reader.AdvanceTo(buffer.Start);
                    throw new BadRequestStreamException(flag == 1
                        ? new Status(StatusCode.Unimplemented, "The gRPC proxy passes only uncompressed messages (grpc-encoding identity).")
                        : new Status(StatusCode.Internal, $"Bad message prefix: compressed flag {flag}."));
                }
                if (length > maxBytes)
                {
                    reader.AdvanceTo(buffer.Start);
                    throw new BadRequestStreamException(new Status(StatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {maxBytes})."));
                }
                if (buffer.Length >= HeaderLength + length)
                {
                    var message = buffer.Slice(HeaderLength, length).ToArray();
                    reader.AdvanceTo(buffer.GetPosition(HeaderLength + length));
                    return message;
                }
            }
            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                return buffer.Length == 0 ? null : throw new BadRequestStreamException(new Status(StatusCode.Internal, "The request stream ended inside a message."));
            }
            // Nothing is consumed until a whole message is there; everything seen is examined.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static (byte Flag, uint Length) ReadPrefix(ReadOnlySequence<byte> buffer)
    {
        var prefix = new SequenceReader<byte>(buffer);
        prefix.TryRead(out var flag);
        prefix.TryReadBigEndian(out int length);
        return (flag, unchecked((uint)length));
    }

    /// <summary>Writes one uncompressed message and flushes it, waiting while the peer's window is full.</summary>
    public static async ValueTask WriteAsync(PipeWriter writer, byte[] message, CancellationToken cancellationToken)
    {
        var header = writer.GetSpan(HeaderLength);
        header[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)message.Length);
        writer.Advance(HeaderLength);
        writer.Write(message);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The caller's request stream cannot be forwarded; <see cref="Status"/> says why.</summary>
internal sealed class BadRequestStreamException(Status status) : Exception(status.Detail)
{
    public Status Status { get; } = status;
}
