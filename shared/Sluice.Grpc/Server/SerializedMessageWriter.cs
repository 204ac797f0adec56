namespace Sluice.Grpc;

/// <summary>
/// A response stream that also takes messages already in their protobuf wire encoding, for a
/// handler that keeps responses serialized (a result file, a cache) and would otherwise parse
/// them only to serialize them again. Framing, compression, size limits and flow control are
/// the same as for <see cref="IAsyncStreamWriter{T}.WriteAsync"/>.
/// </summary>
public interface ISerializedMessageWriter
{
    /// <summary>
    /// Sends <paramref name="message"/> as one response message. The bytes must be a valid
    /// encoding of the method's response type; they are copied before the returned task ends, so
    /// the buffer may be reused once it has.
    /// </summary>
    Task WriteSerializedAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default);
}

public static class SerializedMessageWriterExtensions
{
    /// <summary>
    /// Sends an already serialized response message on a stream from Sluice's server runtime.
    /// </summary>
    /// <exception cref="NotSupportedException">The writer is not from Sluice's server runtime (a test double, say).</exception>
    public static Task WriteSerializedAsync<T>(this IServerStreamWriter<T> writer, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        writer is ISerializedMessageWriter serialized
            ? serialized.WriteSerializedAsync(message, cancellationToken)
            : throw new NotSupportedException($"{writer.GetType().Name} does not take serialized messages; write {typeof(T).Name} objects instead.");
}
