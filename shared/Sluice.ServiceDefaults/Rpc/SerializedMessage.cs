using System.Buffers;
using Grpc.Core;

namespace Sluice.ServiceDefaults;

/// <summary>
/// A response message that is already in protobuf wire form (a stored result batch, say), sent
/// as it is: no parse and no re-encode. Bind the methods that answer with it through
/// <see cref="SerializedResponseBinder"/>; callers see the method's ordinary response type, since
/// the bytes on the wire are the same.
/// </summary>
public sealed class SerializedMessage
{
    private byte[]? _pooled;

    /// <summary>A message over <paramref name="bytes"/>, which must stay unchanged until it is sent.</summary>
    public SerializedMessage(ReadOnlyMemory<byte> bytes) => Bytes = bytes;

    private SerializedMessage(byte[] pooled, int length)
    {
        _pooled = pooled;
        Bytes = pooled.AsMemory(0, length);
    }

    /// <summary>The message's encoding.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>
    /// A message over the first <paramref name="length"/> bytes of <paramref name="rented"/>, an
    /// array rented from <see cref="ArrayPool{T}.Shared"/> that goes back to the pool once the
    /// message has been written to the call.
    /// </summary>
    public static SerializedMessage FromRented(byte[] rented, int length) => new(rented, length);

    /// <summary>The marshaller: writes the bytes as they are; reads a payload into a new buffer.</summary>
    public static Marshaller<SerializedMessage> Marshaller { get; } = new(Serialize, Deserialize);

    private static void Serialize(SerializedMessage message, SerializationContext context)
    {
        var bytes = message.Bytes.Span;
        context.SetPayloadLength(bytes.Length);
        var writer = context.GetBufferWriter();
        writer.Write(bytes);
        context.Complete();
        if (Interlocked.Exchange(ref message._pooled, null) is { } pooled)
        {
            ArrayPool<byte>.Shared.Return(pooled);
        }
    }

    private static SerializedMessage Deserialize(DeserializationContext context) => new(context.PayloadAsNewBuffer());
}
