using System.IO.Pipelines;
using Google.Protobuf;

namespace Sluice.Grpc.Protocol;

/// <summary>
/// Reads length-prefixed messages from a <see cref="PipeReader"/> (a request body on the server,
/// a response body on the client). Frames may arrive split across any number of reads, and one
/// read may hold several frames. Not thread-safe: one read at a time, as the stream contract says.
/// </summary>
internal sealed class MessageReader(PipeReader reader, int? maxMessageSize, string? encoding)
{
    /// <summary>
    /// Reads the next message, or returns null when the stream ended cleanly between frames.
    /// A stream that ends inside a frame is an INTERNAL error.
    /// </summary>
    public async ValueTask<T?> ReadMessageAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var examined = buffer.End;
            try
            {
                if (result.IsCanceled)
                {
                    throw new OperationCanceledException("Reading the message stream was cancelled.");
                }
                if (MessageFraming.TryReadFrame(ref buffer, maxMessageSize, out var payload, out var compressed))
                {
                    var message = MessageFraming.ParsePayload(parser, payload, compressed, encoding, maxMessageSize);
                    consumed = buffer.Start;
                    examined = consumed;
                    return message;
                }
                if (result.IsCompleted)
                {
                    if (buffer.Length == 0)
                    {
                        return null;
                    }
                    throw new RpcException(StatusCode.Internal, $"Incomplete message: the stream ended {buffer.Length} bytes into a frame.");
                }
            }
            finally
            {
                reader.AdvanceTo(consumed, examined);
            }
        }
    }

    /// <summary>
    /// Reads the one message of a unary request or response: exactly one frame, then the end of
    /// the stream. No message, or a second one, is an error. The common case (the frame arrives
    /// with END_STREAM) costs a single read.
    /// </summary>
    public async ValueTask<T> ReadSingleMessageAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            try
            {
                if (result.IsCanceled)
                {
                    throw new OperationCanceledException("Reading the message stream was cancelled.");
                }
                var rest = buffer;
                var hasFrame = MessageFraming.TryReadFrame(ref rest, maxMessageSize, out var payload, out var compressed);
                if (hasFrame && rest.Length > 0)
                {
                    // Checked before the end of the stream so a peer cannot make us buffer an endless "unary" body.
                    throw new RpcException(StatusCode.Internal, "Expected one message but received more than one.");
                }
                if (!result.IsCompleted)
                {
                    continue;
                }
                if (!hasFrame)
                {
                    throw buffer.Length == 0
                        ? new RpcException(StatusCode.Internal, "Expected one message but the stream ended without any.")
                        : new RpcException(StatusCode.Internal, $"Incomplete message: the stream ended {buffer.Length} bytes into a frame.");
                }
                var message = MessageFraming.ParsePayload(parser, payload, compressed, encoding, maxMessageSize);
                consumed = buffer.End;
                return message;
            }
            finally
            {
                reader.AdvanceTo(consumed, buffer.End);
            }
        }
    }
}
