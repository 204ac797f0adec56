using System.Net;
using System.Net.Http.Headers;

namespace Sluice.Grpc.Client;

/// <summary>The body of a unary or server-streaming request: one pre-framed message.</summary>
internal sealed class FramedMessageContent : HttpContent
{
    private readonly byte[] _frame;
    private readonly int _length;

    public FramedMessageContent(byte[] frame, int length)
    {
        _frame = frame;
        _length = length;
        Headers.ContentType = GrpcContentType.Value;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        stream.WriteAsync(_frame, 0, _length);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.WriteAsync(_frame.AsMemory(0, _length), cancellationToken).AsTask();

    // No content-length: gRPC bodies are streams, and some peers reject a fixed length.
    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}

/// <summary>
/// The body of a client-streaming or bidirectional request. The HTTP handler calls
/// <see cref="SerializeToStreamAsync(Stream, TransportContext?)"/> once the request headers are
/// out; the call then writes messages to that stream as the caller produces them, and the body
/// ends when the caller completes the request stream.
/// </summary>
internal sealed class PushStreamContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PushStreamContent()
    {
        Headers.ContentType = GrpcContentType.Value;
    }

    /// <summary>The request body stream, once the handler has started sending the body.</summary>
    public Task<Stream> StreamAsync => _stream.Task;

    /// <summary>Ends the request body (END_STREAM).</summary>
    public void Complete() => _completed.TrySetResult();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _stream.TrySetResult(stream);
        await _completed.Task.ConfigureAwait(false);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}

internal static class GrpcContentType
{
    public static readonly MediaTypeHeaderValue Value = new(Protocol.GrpcProtocol.ContentType);
}
