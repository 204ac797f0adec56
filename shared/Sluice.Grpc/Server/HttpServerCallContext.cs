using System.Diagnostics;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;
using Sluice.Grpc.Protocol;

namespace Sluice.Grpc.Server;

/// <summary>
/// One call served over Kestrel's HTTP/2: reads request frames from the request body, writes
/// response frames to the response body, and ends the call with grpc-status in trailers (or in
/// the headers of a trailers-only response when no message was sent).
/// </summary>
/// <remarks>
/// Without a deadline only the handler touches the response, so no locking is needed. With a
/// deadline a timer may end the call while the handler still runs: then every write and the
/// final status take <see cref="_writeLock"/>, and whichever comes first decides the status.
/// </remarks>
internal sealed class HttpServerCallContext : ServerCallContext, IDisposable
{
    /// <summary>A response message to frame: a message object, or bytes already in its wire encoding.</summary>
    internal readonly struct OutgoingMessage
    {
        public OutgoingMessage(IMessage message) => Message = message;

        public OutgoingMessage(ReadOnlyMemory<byte> serialized) => Serialized = serialized;

        public IMessage? Message { get; }

        public ReadOnlyMemory<byte> Serialized { get; }
    }

    private static readonly string[] StatusCodeStrings = Enumerable.Range(0, 17).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private readonly HttpContext _http;
    private readonly string _method;
    private readonly bool _streamingResponse;
    private readonly GrpcServerOptions _options;
    private readonly ILogger _logger;

    private byte[]? _serializedResponse;
    private int _serializedResponseLength;

    private Metadata? _requestHeaders;
    private Metadata? _responseTrailers;
    private MessageReader? _reader;
    private DateTime _deadline = DateTime.MaxValue;
    private CancellationTokenSource? _deadlineCancellation;
    private Timer? _deadlineTimer;
    private SemaphoreSlim? _writeLock;
    private volatile bool _deadlineExceeded;
    private bool _headersSent;
    private bool _messageWritten;
    private bool _completed;
    private bool? _gzipResponses;
    private int _unflushedBytes;
    private string? _requestEncoding;

    public HttpServerCallContext(HttpContext http, string method, bool streamingResponse, GrpcServerOptions options, ILogger logger)
    {
        _http = http;
        _method = method;
        _streamingResponse = streamingResponse;
        _options = options;
        _logger = logger;
        ResponseCompression = options.ResponseCompressionAlgorithm;
    }

    public override string Method => _method;

    public override string Peer
    {
        get
        {
            var connection = _http.Connection;
            var address = connection.RemoteIpAddress;
            if (address is null)
            {
                return "unknown";
            }
            return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? $"ipv6:[{address}]:{connection.RemotePort}"
                : $"ipv4:{address}:{connection.RemotePort}";
        }
    }

    public override DateTime Deadline => _deadline;

    public override Metadata RequestHeaders => _requestHeaders ??= MetadataHeaders.FromHeaders(_http.Request.Headers);

    public override CancellationToken CancellationToken => _deadlineCancellation?.Token ?? _http.RequestAborted;

    public override Metadata ResponseTrailers => _responseTrailers ??= new Metadata();

    public override Status Status { get; set; } = Status.DefaultSuccess;

    public override string? ResponseCompression { get; set; }

    public override string? RequestEncoding => _requestEncoding;

    public override HttpContext GetHttpContext() => _http;

    internal bool DeadlineExceeded => _deadlineExceeded;

    /// <summary>
    /// Validates the request and arms the deadline. Returns false when the request was already
    /// answered (not gRPC, or an encoding this server cannot read).
    /// </summary>
    public bool TryStart(bool streamingRequest)
    {
        var request = _http.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            _http.Response.Headers.Allow = HttpMethods.Post;
            RejectHttp(StatusCodes.Status405MethodNotAllowed, $"HTTP method '{request.Method}' is not supported; gRPC requires POST.");
            return false;
        }
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            RejectHttp(StatusCodes.Status415UnsupportedMediaType, $"Content-Type '{request.ContentType}' is not supported; gRPC requires '{GrpcProtocol.ContentType}'.");
            return false;
        }
        if (!HttpProtocol.IsHttp2(request.Protocol) && !HttpProtocol.IsHttp3(request.Protocol))
        {
            RejectHttp(StatusCodes.Status426UpgradeRequired, $"Request protocol '{request.Protocol}' is not supported; gRPC requires HTTP/2.");
            return false;
        }

        _http.Response.ContentType = GrpcProtocol.ContentType;

        var headers = request.Headers;
        var encoding = headers[GrpcProtocol.EncodingHeader].ToString();
        if (encoding.Length > 0 && !encoding.Equals(GrpcProtocol.IdentityEncoding, StringComparison.OrdinalIgnoreCase))
        {
            if (!encoding.Equals(GrpcProtocol.GzipEncoding, StringComparison.OrdinalIgnoreCase))
            {
                _http.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.SupportedEncodings;
                WriteStatus(new Status(StatusCode.Unimplemented, $"Unsupported grpc-encoding '{encoding}'. Supported encodings: {GrpcProtocol.SupportedEncodings}."), null);
                return false;
            }
            _requestEncoding = GrpcProtocol.GzipEncoding;
        }

        var timeoutHeader = headers[GrpcProtocol.TimeoutHeader].ToString();
        if (timeoutHeader.Length > 0)
        {
            if (!GrpcTimeout.TryParse(timeoutHeader, out var timeout))
            {
                WriteStatus(new Status(StatusCode.Internal, $"Invalid grpc-timeout value '{timeoutHeader}'."), null);
                return false;
            }
            ArmDeadline(timeout);
        }

        if (streamingRequest || _options.MaxReceiveMessageSize is null || _options.MaxReceiveMessageSize > GrpcProtocol.DefaultMaxMessageSize)
        {
            // Streams can run long and carry more than Kestrel's 30 MB body cap; each message is
            // bounded by MaxReceiveMessageSize instead.
            if (_http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            {
                bodySize.MaxRequestBodySize = null;
            }
            if (_http.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } dataRate)
            {
                dataRate.MinDataRate = null;
            }
        }
        return true;
    }

    public ValueTask<T> ReadSingleMessageAsync<T>(MessageParser<T> parser)
        where T : class, IMessage<T> =>
        GetReader().ReadSingleMessageAsync(parser, TransportToken);

    public ValueTask<T?> ReadMessageAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T> =>
        GetReader().ReadMessageAsync(parser, cancellationToken);

    public override async Task WriteResponseHeadersAsync(Metadata responseHeaders)
    {
        ArgumentNullException.ThrowIfNull(responseHeaders);
        await EnterWriteAsync().ConfigureAwait(false);
        try
        {
            if (_headersSent || _messageWritten)
            {
                throw new InvalidOperationException("Response headers can only be sent once per call, before any message.");
            }
            ThrowIfCompleted();
            var headers = _http.Response.Headers;
            foreach (var entry in responseHeaders)
            {
                headers.Append(entry.Key, entry.IsBinary ? MetadataHeaders.EncodeBinary(entry.ValueBytes) : entry.Value);
            }
            PrepareResponseHeaders();
            await _http.Response.BodyWriter.FlushAsync(CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock?.Release();
        }
    }

    public bool HasSerializedResponse => _serializedResponse is not null;

    public override void SetSerializedResponse(ReadOnlySpan<byte> message)
    {
        if (_streamingResponse)
        {
            throw new InvalidOperationException($"{_method} streams its responses: write serialized messages to the response stream instead.");
        }
        if (_serializedResponse is null || _serializedResponse.Length < message.Length)
        {
            ReturnSerializedResponse();
            _serializedResponse = System.Buffers.ArrayPool<byte>.Shared.Rent(message.Length);
        }
        message.CopyTo(_serializedResponse);
        _serializedResponseLength = message.Length;
    }

    /// <summary>
    /// Writes the single response of a unary or client-streaming call (the serialized one if the
    /// handler set it), left unflushed so it leaves with the trailers.
    /// </summary>
    public ValueTask WriteFinalMessageAsync(IMessage message)
    {
        var outgoing = _serializedResponse is { } serialized
            ? new OutgoingMessage(serialized.AsMemory(0, _serializedResponseLength))
            : new OutgoingMessage(message);
        if (_writeLock is null)
        {
            WriteFrame(outgoing);
            return ValueTask.CompletedTask;
        }
        return WriteLockedAsync(outgoing, flush: false);
    }

    /// <summary>Writes one streamed response message and flushes it unless writes are buffered.</summary>
    public ValueTask WriteStreamMessageAsync(OutgoingMessage message)
    {
        if (_writeLock is null)
        {
            var written = WriteFrame(message);
            return FlushIfDueAsync(written);
        }
        return WriteLockedAsync(message, flush: true);
    }

    /// <summary>
    /// Ends the call after the handler returned or threw. Returns without writing when the
    /// deadline already ended it.
    /// </summary>
    public async ValueTask CompleteAsync(Exception? handlerException)
    {
        var status = handlerException is null ? Status : StatusFromException(handlerException, out _);
        var trailers = handlerException is RpcException rpc ? Merge(_responseTrailers, rpc.Trailers) : _responseTrailers;

        if (_writeLock is null)
        {
            WriteStatus(status, trailers);
            return;
        }
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_completed)
            {
                WriteStatus(_deadlineExceeded ? DeadlineStatus : status, _deadlineExceeded ? null : trailers);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Maps a handler's exception to the status sent to the caller (never a stack trace).</summary>
    public Status StatusFromException(Exception exception, out bool unexpected)
    {
        unexpected = false;
        if (exception is RpcException rpc)
        {
            return rpc.Status;
        }
        if (_deadlineExceeded)
        {
            return DeadlineStatus;
        }
        if (exception is OperationCanceledException && CancellationToken.IsCancellationRequested)
        {
            return new Status(StatusCode.Cancelled, "The call was cancelled.");
        }
        unexpected = true;
        return new Status(StatusCode.Internal, _options.EnableDetailedErrors
            ? $"Exception was thrown by handler. {exception.GetType().Name}: {exception.Message}"
            : "Exception was thrown by handler.");
    }

    public void Dispose()
    {
        _deadlineTimer?.Dispose();
        _deadlineCancellation?.Dispose();
        ReturnSerializedResponse();
    }

    private void ReturnSerializedResponse()
    {
        if (_serializedResponse is { } buffer)
        {
            _serializedResponse = null;
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Status DeadlineStatus => new(StatusCode.DeadlineExceeded, "Deadline Exceeded");

    /// <summary>
    /// The token for body reads and flushes. Kestrel already ends those when the stream is reset,
    /// and reading HttpContext.RequestAborted makes Kestrel allocate a token source per request,
    /// so only a deadline adds a token here; handlers still get RequestAborted on demand.
    /// </summary>
    private CancellationToken TransportToken => _deadlineCancellation?.Token ?? default;

    private MessageReader GetReader() =>
        _reader ??= new MessageReader(_http.Request.BodyReader, _options.MaxReceiveMessageSize, RequestEncoding);

    private void ArmDeadline(TimeSpan timeout)
    {
        _deadline = DateTime.UtcNow + timeout;
        _deadlineCancellation = CancellationTokenSource.CreateLinkedTokenSource(_http.RequestAborted);
        _writeLock = new SemaphoreSlim(1, 1);
        _deadlineTimer = new Timer(static state => ((HttpServerCallContext)state!).OnDeadline(), this, timeout, Timeout.InfiniteTimeSpan);
    }

    private void OnDeadline()
    {
        _deadlineExceeded = true;
        ServerLog.DeadlineExceeded(_logger, _method);
        try
        {
            _deadlineCancellation!.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return; // The call already ended.
        }
        _ = EndOnDeadlineAsync();
    }

    /// <summary>Answers DEADLINE_EXCEEDED at once, even if the handler ignores its cancellation token.</summary>
    private async Task EndOnDeadlineAsync()
    {
        try
        {
            await _writeLock!.WaitAsync().ConfigureAwait(false);
            try
            {
                if (_completed)
                {
                    return;
                }
                WriteStatus(DeadlineStatus, null);
                await _http.Response.CompleteAsync().ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException or IOException)
        {
            // The request ended meanwhile (client reset, handler finished): nothing left to answer.
        }
    }

    private async ValueTask WriteLockedAsync(OutgoingMessage message, bool flush)
    {
        await EnterWriteAsync().ConfigureAwait(false);
        try
        {
            var written = WriteFrame(message);
            if (flush)
            {
                await FlushIfDueAsync(written).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock!.Release();
        }
    }

    private Task EnterWriteAsync() => _writeLock?.WaitAsync() ?? Task.CompletedTask;

    private int WriteFrame(OutgoingMessage message)
    {
        ThrowIfCompleted();
        if (!_messageWritten)
        {
            PrepareResponseHeaders();
            _messageWritten = true;
        }
        var output = _http.Response.BodyWriter;
        return message.Message is { } typed
            ? MessageFraming.WriteMessage(output, typed, _options.MaxSendMessageSize, _gzipResponses!.Value)
            : MessageFraming.WriteSerialized(output, message.Serialized.Span, _options.MaxSendMessageSize, _gzipResponses!.Value);
    }

    // Buffered writes still go out once this much is pending, so memory stays bounded and a
    // reader sees data steadily.
    private const int BufferedFlushThreshold = 32 * 1024;

    private ValueTask FlushIfDueAsync(int written)
    {
        _unflushedBytes += written;
        if (BufferResponseWrites && _unflushedBytes < BufferedFlushThreshold)
        {
            return ValueTask.CompletedTask;
        }
        _unflushedBytes = 0;
        var flush = _http.Response.BodyWriter.FlushAsync(TransportToken);
        if (flush.IsCompletedSuccessfully)
        {
            return CheckFlush(flush.Result);
        }
        return AwaitFlushAsync(flush);
    }

    private async ValueTask AwaitFlushAsync(ValueTask<System.IO.Pipelines.FlushResult> flush) =>
        await CheckFlush(await flush.ConfigureAwait(false)).ConfigureAwait(false);

    private ValueTask CheckFlush(System.IO.Pipelines.FlushResult result)
    {
        if (result.IsCanceled || result.IsCompleted)
        {
            // The client went away (RST_STREAM or disconnect): further writes cannot arrive.
            throw new OperationCanceledException("The client is no longer reading the response.", CancellationToken);
        }
        return ValueTask.CompletedTask;
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw _deadlineExceeded
                ? new RpcException(DeadlineStatus)
                : new InvalidOperationException("The call has already completed.");
        }
    }

    /// <summary>Decides response compression and adds its headers before the headers go out.</summary>
    private void PrepareResponseHeaders()
    {
        if (_headersSent)
        {
            return;
        }
        _headersSent = true;
        var gzip = ResponseCompression is { } algorithm
            && algorithm.Equals(GrpcProtocol.GzipEncoding, StringComparison.OrdinalIgnoreCase)
            && GrpcProtocol.AcceptsGzip(_http.Request.Headers[GrpcProtocol.AcceptEncodingHeader]);
        _gzipResponses = gzip;
        if (gzip)
        {
            _http.Response.Headers[GrpcProtocol.EncodingHeader] = GrpcProtocol.GzipEncoding;
        }
    }

    private void WriteStatus(Status status, Metadata? trailers)
    {
        Debug.Assert(!_completed, "The status is written once.");
        _completed = true;
        var response = _http.Response;

        // Trailers-only when nothing was sent yet: decided by our own flags, because
        // Response.HasStarted stays false after an unflushed write to BodyWriter.
        if (!_headersSent && !_messageWritten && !response.HasStarted)
        {
            var headers = response.Headers;
            headers[GrpcProtocol.StatusHeader] = StatusCodeStrings[(int)status.StatusCode];
            if (!string.IsNullOrEmpty(status.Detail))
            {
                headers[GrpcProtocol.MessageHeader] = PercentEncoding.Encode(status.Detail);
            }
            if (trailers is not null)
            {
                foreach (var entry in trailers)
                {
                    headers.Append(entry.Key, entry.IsBinary ? MetadataHeaders.EncodeBinary(entry.ValueBytes) : entry.Value);
                }
            }
            return;
        }

        response.AppendTrailer(GrpcProtocol.StatusHeader, StatusCodeStrings[(int)status.StatusCode]);
        if (!string.IsNullOrEmpty(status.Detail))
        {
            response.AppendTrailer(GrpcProtocol.MessageHeader, PercentEncoding.Encode(status.Detail));
        }
        if (trailers is not null)
        {
            foreach (var entry in trailers)
            {
                response.AppendTrailer(entry.Key, entry.IsBinary ? MetadataHeaders.EncodeBinary(entry.ValueBytes) : entry.Value);
            }
        }
    }

    private void RejectHttp(int httpStatus, string message)
    {
        _completed = true;
        var response = _http.Response;
        response.StatusCode = httpStatus;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.StatusHeader] = StatusCodeStrings[(int)StatusCode.Internal];
        response.Headers[GrpcProtocol.MessageHeader] = PercentEncoding.Encode(message);
    }

    private static Metadata? Merge(Metadata? first, Metadata second)
    {
        if (first is null || first.Count == 0)
        {
            return second;
        }
        var merged = new Metadata();
        foreach (var entry in first)
        {
            merged.Add(entry);
        }
        foreach (var entry in second)
        {
            merged.Add(entry);
        }
        return merged;
    }
}
