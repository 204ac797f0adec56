using System.Buffers;
using System.Buffers.Binary;

namespace Sluice.Benchmarks.BareKestrel;

/// <summary>gRPC status codes this server answers with (grpc/doc/statuscodes.md).</summary>
internal enum GrpcStatusCode
{
    Ok = 0,
    InvalidArgument = 3,
    NotFound = 5,
    ResourceExhausted = 8,
    Unimplemented = 12,
    Internal = 13,
}

/// <summary>
/// The Length-Prefixed-Message of gRPC over HTTP/2 (PROTOCOL-HTTP2.md): a compressed flag byte,
/// a 4-byte big-endian length, then the message.
/// </summary>
internal static class GrpcFrame
{
    public const int PrefixLength = 5;

    /// <summary>gRPC's default maximum receive message size.</summary>
    public const int MaxMessageLength = 4 * 1024 * 1024;

    /// <summary>
    /// Checks that a unary request body holds exactly one uncompressed message and returns that
    /// message without its prefix. On failure returns the status and detail to end the call with.
    /// </summary>
    public static (GrpcStatusCode Status, string Detail) TryGetSingleMessage(
        in ReadOnlySequence<byte> body, out ReadOnlySequence<byte> message)
    {
        message = default;
        if (body.Length < PrefixLength)
        {
            return (GrpcStatusCode.Internal, "request body is not one length-prefixed message");
        }

        Span<byte> prefix = stackalloc byte[PrefixLength];
        body.Slice(0, PrefixLength).CopyTo(prefix);

        // No grpc-encoding is negotiated, so a compressed message is a protocol error.
        if (prefix[0] != 0)
        {
            return (GrpcStatusCode.Internal, "compressed messages are not accepted");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
        if (length > MaxMessageLength)
        {
            return (GrpcStatusCode.ResourceExhausted, "request message is larger than 4 MiB");
        }

        if (body.Length != PrefixLength + length)
        {
            return (GrpcStatusCode.Internal, "request body is not exactly one message");
        }

        message = body.Slice(PrefixLength);
        return (GrpcStatusCode.Ok, "");
    }

    /// <summary>Writes the prefix of an uncompressed message of <paramref name="messageLength"/> bytes.</summary>
    public static void WritePrefix(Span<byte> destination, int messageLength)
    {
        destination[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)messageLength);
    }
}
