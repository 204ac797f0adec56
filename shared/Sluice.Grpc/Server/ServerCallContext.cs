using Microsoft.AspNetCore.Http;

namespace Sluice.Grpc;

/// <summary>What a service handler knows about, and can set on, the call it is serving.</summary>
public abstract class ServerCallContext
{
    /// <summary>The method's path, <c>/package.Service/Method</c>.</summary>
    public abstract string Method { get; }

    /// <summary>The caller's address, e.g. <c>ipv4:127.0.0.1:53412</c>.</summary>
    public abstract string Peer { get; }

    /// <summary>When the call expires (UTC); <see cref="DateTime.MaxValue"/> when it has no deadline.</summary>
    public abstract DateTime Deadline { get; }

    /// <summary>The caller's custom metadata.</summary>
    public abstract Metadata RequestHeaders { get; }

    /// <summary>Cancelled when the caller cancels, disconnects, or the deadline passes.</summary>
    public abstract CancellationToken CancellationToken { get; }

    /// <summary>Trailing metadata sent with the status when the call ends.</summary>
    public abstract Metadata ResponseTrailers { get; }

    /// <summary>The status sent when the handler returns normally. Defaults to OK.</summary>
    public abstract Status Status { get; set; }

    /// <summary>
    /// The encoding to compress responses with (<c>"gzip"</c>), used only if the caller
    /// advertises it in grpc-accept-encoding. Defaults to the server option
    /// <see cref="GrpcServerOptions.ResponseCompressionAlgorithm"/>.
    /// </summary>
    public abstract string? ResponseCompression { get; set; }

    /// <summary>The grpc-encoding of the request messages, or null for identity.</summary>
    public abstract string? RequestEncoding { get; }

    /// <summary>
    /// When true, streamed response writes may stay buffered (up to a bound) instead of being
    /// flushed one by one; the rest is flushed when the call ends or the flag is cleared.
    /// Defaults to false: every write is flushed.
    /// </summary>
    public bool BufferResponseWrites { get; set; }

    /// <summary>
    /// For a unary or client-streaming method: answers with a message already in its protobuf
    /// wire encoding (a stored or cached response) instead of serializing the message the handler
    /// returns, which is then not sent (return any instance). The bytes must be a valid encoding
    /// of the response type; they are copied, so the buffer may be reused as soon as this returns.
    /// </summary>
    /// <exception cref="InvalidOperationException">The method streams its responses (use the stream's WriteSerializedAsync).</exception>
    public virtual void SetSerializedResponse(ReadOnlySpan<byte> message) =>
        throw new NotSupportedException($"{GetType().Name} does not take serialized responses.");

    /// <summary>Sends response headers now (at most once, before any message).</summary>
    public abstract Task WriteResponseHeadersAsync(Metadata responseHeaders);

    /// <summary>The HTTP context of the call, when it is served over HTTP (null in unit tests).</summary>
    public virtual HttpContext? GetHttpContext() => null;
}
