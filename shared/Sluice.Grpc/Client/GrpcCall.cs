using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Sluice.Grpc.Protocol;

namespace Sluice.Grpc.Client;

/// <summary>
/// One client call of any shape over an HTTP/2 request. The first status decided wins (the
/// server's trailers, a local deadline, a cancellation, a transport failure); once decided the
/// HTTP request is cancelled if still running, which resets the stream so the server sees it.
/// </summary>
internal sealed class GrpcCall<TRequest, TResponse> : IClientCall
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private const string UserAgent = "grpc-dotnet-sluice/1.0";

    private readonly GrpcChannel _channel;
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;
    private readonly CancellationTokenSource _transportCancellation = new();
    private readonly TaskCompletionSource<Metadata> _headers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Status> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _finishLock = new();
    private readonly bool _gzipRequests;

    private CancellationTokenRegistration _userCancellation;
    private Timer? _deadlineTimer;
    private volatile bool _deadlineExceeded;
    private Task<bool>? _receiveHeaders;
    private HttpResponseMessage? _response;
    private MessageReader? _reader;
    private Status? _status;
    private Metadata? _trailers;
    private PushStreamContent? _pushContent;
    private PipeWriter? _requestWriter;
    private bool _requestCompleted;

    public GrpcCall(GrpcChannel channel, Method<TRequest, TResponse> method, CallOptions options)
    {
        _channel = channel;
        _method = method;
        _options = options;
        var compression = options.Compression ?? channel.RequestCompression;
        if (compression is not null && !compression.Equals(GrpcProtocol.GzipEncoding, StringComparison.OrdinalIgnoreCase)
            && !compression.Equals(GrpcProtocol.IdentityEncoding, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"Unsupported request compression '{compression}'. Supported: {GrpcProtocol.SupportedEncodings}.", nameof(options));
        }
        _gzipRequests = compression?.Equals(GrpcProtocol.GzipEncoding, StringComparison.OrdinalIgnoreCase) == true;
    }

    public Task<Metadata> ResponseHeadersAsync => _headers.Task;

    public Status GetStatus() => _status ?? throw new InvalidOperationException("The call is still in progress; its status is not known yet.");

    public Metadata GetTrailers() => _status is null
        ? throw new InvalidOperationException("The call is still in progress; its trailers are not known yet.")
        : _trailers ?? new Metadata();

    /// <summary>Sends the request headers and, for unary and server-streaming calls, the single request message.</summary>
    public void Start(TRequest? request)
    {
        TimeSpan? timeout = null;
        if (_options.Deadline is { } deadline && deadline != DateTime.MaxValue)
        {
            var remaining = deadline.ToUniversalTime() - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                Finish(DeadlineStatus, null);
                _receiveHeaders = Task.FromResult(false);
                return;
            }
            timeout = remaining < GrpcTimeout.Max ? remaining : GrpcTimeout.Max;
            _deadlineTimer = new Timer(static state => ((GrpcCall<TRequest, TResponse>)state!).OnDeadline(), this, timeout.Value, Timeout.InfiniteTimeSpan);
        }
        if (_options.CancellationToken.CanBeCanceled)
        {
            _userCancellation = _options.CancellationToken.UnsafeRegister(
                static state => ((GrpcCall<TRequest, TResponse>)state!).Finish(new Status(StatusCode.Cancelled, "Call cancelled by the client."), null), this);
        }

        HttpContent content;
        if (request is null)
        {
            _pushContent = new PushStreamContent();
            content = _pushContent;
        }
        else
        {
            content = FrameRequest(request);
        }

        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_channel.Address, _method.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        var headers = message.Headers;
        headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        headers.TryAddWithoutValidation("user-agent", UserAgent);
        headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.SupportedEncodings);
        if (_gzipRequests)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.EncodingHeader, GrpcProtocol.GzipEncoding);
        }
        if (timeout is { } t)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(t));
        }
        if (_options.Headers is { } metadata)
        {
            foreach (var entry in metadata)
            {
                headers.TryAddWithoutValidation(entry.Key, entry.IsBinary ? MetadataHeaders.EncodeBinary(entry.ValueBytes) : entry.Value);
            }
        }

        if (_status is not null)
        {
            // Cancelled before it started.
            _receiveHeaders = Task.FromResult(false);
            message.Dispose();
            return;
        }
        var send = _channel.Invoker.SendAsync(message, _transportCancellation.Token);
        _receiveHeaders = ReceiveHeadersAsync(send);
    }

    /// <summary>Reads the single response of a unary or client-streaming call.</summary>
    public async Task<TResponse> ReadUnaryResponseAsync()
    {
        var response = await ReadNextAsync(CancellationToken.None).ConfigureAwait(false)
            ?? throw Finish(new Status(StatusCode.Internal, "The server ended the call with status OK but sent no response message."), null, force: true);
        if (await ReadNextAsync(CancellationToken.None).ConfigureAwait(false) is not null)
        {
            throw Finish(new Status(StatusCode.Internal, "The server sent more than one response message for a single-response method."), null, force: true);
        }
        return response;
    }

    /// <summary>Reads the next response message; null at the end of a call that ended OK.</summary>
    public async Task<TResponse?> ReadNextAsync(CancellationToken cancellationToken)
    {
        if (!await _receiveHeaders!.ConfigureAwait(false))
        {
            // No body: the call already ended (trailers-only, or failed before any response).
            ThrowIfFailed();
            return null;
        }
        ThrowIfFailed();

        TResponse? message;
        try
        {
            if (cancellationToken.CanBeCanceled)
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _transportCancellation.Token);
                message = await _reader!.ReadMessageAsync(_method.ResponseParser, linked.Token).ConfigureAwait(false);
            }
            else
            {
                message = await _reader!.ReadMessageAsync(_method.ResponseParser, _transportCancellation.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (_status is null || ex is not RpcException)
        {
            if (cancellationToken.IsCancellationRequested && !_transportCancellation.IsCancellationRequested)
            {
                // Only this read was cancelled by the caller: the call goes on being cancelled as a whole.
                throw Finish(new Status(StatusCode.Cancelled, "Reading the response stream was cancelled."), null);
            }
            throw Finish(StatusFromException(ex), null);
        }
        if (message is not null)
        {
            return message;
        }

        var trailers = _response!.TrailingHeaders;
        var status = ReadStatus(trailers) ?? new Status(StatusCode.Internal, "The response ended without a grpc-status trailer.");
        Finish(status, MetadataHeaders.FromHeaders(trailers));
        ThrowIfFailed();
        return null;
    }

    /// <summary>Writes one request message of a streaming request.</summary>
    public async Task WriteRequestAsync(TRequest message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_requestCompleted)
        {
            throw new InvalidOperationException("The request stream has already been completed.");
        }
        var stream = await GetRequestStreamAsync().ConfigureAwait(false);
        _requestWriter ??= PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        try
        {
            MessageFraming.WriteMessage(_requestWriter, message, _channel.MaxSendMessageSize, _gzipRequests);
            var flush = await _requestWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (flush.IsCanceled)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }
        catch (RpcException ex) when (_status is null)
        {
            // A local limit (message too large): the call cannot go on.
            throw Finish(ex.Status, null);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            // The server may have ended the call already; its status explains the failure best.
            throw _status is { } ended ? new RpcException(ended, _trailers ?? new Metadata()) : Finish(StatusFromException(ex), null);
        }
    }

    /// <summary>Ends the request stream; the server then sees the end of its request messages.</summary>
    public async Task CompleteRequestAsync()
    {
        if (_requestCompleted)
        {
            return;
        }
        _requestCompleted = true;
        if (_requestWriter is not null)
        {
            try
            {
                await _requestWriter.FlushAsync().ConfigureAwait(false);
                await _requestWriter.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The call ended meanwhile; reading the response reports its status.
            }
        }
        _pushContent!.Complete();
    }

    public void Dispose()
    {
        Finish(new Status(StatusCode.Cancelled, "The call was disposed before it completed."), null);
        _response?.Dispose();
    }

    private static Status DeadlineStatus => new(StatusCode.DeadlineExceeded, "Deadline Exceeded");

    private FramedMessageContent FrameRequest(TRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(MessageFraming.HeaderLength + 256);
        try
        {
            MessageFraming.WriteMessage(buffer, request, _channel.MaxSendMessageSize, _gzipRequests);
        }
        catch (RpcException ex)
        {
            throw Finish(ex.Status, null);
        }
        return new FramedMessageContent(buffer.WrittenMemory.ToArray(), buffer.WrittenCount);
    }

    private async Task<Stream> GetRequestStreamAsync()
    {
        var streamTask = _pushContent!.StreamAsync;
        if (!streamTask.IsCompleted)
        {
            await Task.WhenAny(streamTask, _completion.Task).ConfigureAwait(false);
        }
        if (_status is { } status && (!streamTask.IsCompleted || status.StatusCode != StatusCode.OK))
        {
            if (status.StatusCode == StatusCode.OK)
            {
                throw new InvalidOperationException("Can't write the message because the call is complete.");
            }
            throw new RpcException(status, _trailers ?? new Metadata());
        }
        return await streamTask.ConfigureAwait(false);
    }

    private async Task<bool> ReceiveHeadersAsync(Task<HttpResponseMessage> send)
    {
        HttpResponseMessage response;
        try
        {
            response = await send.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Finish(StatusFromException(ex), null);
            return false;
        }
        _response = response;
        var headers = response.Headers;

        if (response.StatusCode != HttpStatusCode.OK)
        {
            var httpStatus = ReadStatus(headers) ?? StatusFromHttp(response.StatusCode);
            _headers.TrySetResult(MetadataHeaders.FromHeaders(headers));
            Finish(httpStatus, MetadataHeaders.FromHeaders(headers));
            return false;
        }
        var contentType = response.Content.Headers.ContentType?.MediaType;
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            Finish(new Status(StatusCode.Unknown, $"Bad gRPC response: content-type '{contentType}'."), null);
            return false;
        }

        var metadata = MetadataHeaders.FromHeaders(headers);
        _headers.TrySetResult(metadata);
        if (ReadStatus(headers) is { } trailersOnly)
        {
            // Trailers-only response: the status came with the headers and there is no body.
            Finish(trailersOnly, metadata);
            return false;
        }

        string? encoding = null;
        if (headers.TryGetValues(GrpcProtocol.EncodingHeader, out var encodings))
        {
            encoding = encodings.FirstOrDefault();
            if (encoding is not null && !encoding.Equals(GrpcProtocol.IdentityEncoding, StringComparison.OrdinalIgnoreCase)
                && !encoding.Equals(GrpcProtocol.GzipEncoding, StringComparison.OrdinalIgnoreCase))
            {
                Finish(new Status(StatusCode.Internal, $"The server used unsupported grpc-encoding '{encoding}'."), null);
                return false;
            }
        }
        try
        {
            var body = await response.Content.ReadAsStreamAsync(_transportCancellation.Token).ConfigureAwait(false);
            _reader = new MessageReader(PipeReader.Create(body), _channel.MaxReceiveMessageSize, encoding);
        }
        catch (Exception ex)
        {
            Finish(StatusFromException(ex), null);
            return false;
        }
        return true;
    }

    /// <summary>Throws the call's status if it ended with an error; returns true if it ended OK.</summary>
    private bool ThrowIfFailed()
    {
        if (_status is { } status && status.StatusCode != StatusCode.OK)
        {
            throw new RpcException(status, _trailers ?? new Metadata());
        }
        return _status is not null;
    }

    private void OnDeadline()
    {
        _deadlineExceeded = true;
        Finish(DeadlineStatus, null);
    }

    /// <summary>Records the call's status (the first one wins) and releases the transport when it failed.</summary>
    private RpcException Finish(Status status, Metadata? trailers, bool force = false)
    {
        var decided = false;
        lock (_finishLock)
        {
            if (_status is null || force)
            {
                _status = status;
                _trailers = trailers;
                decided = true;
            }
        }
        if (decided)
        {
            _deadlineTimer?.Dispose();
            _userCancellation.Dispose();
            _completion.TrySetResult(_status!.Value);
            _headers.TrySetException(new RpcException(_status.Value, _trailers ?? new Metadata()));
            _ = _headers.Task.Exception; // Observed: callers that never ask for headers must not see an unobserved fault.
            if (_status.Value.StatusCode != StatusCode.OK)
            {
                // Resets the HTTP/2 stream if the request is still open, so the server sees the cancellation.
                _transportCancellation.Cancel();
                _pushContent?.Complete();
            }
        }
        return new RpcException(_status!.Value, _trailers ?? new Metadata());
    }

    private Status StatusFromException(Exception exception)
    {
        if (_deadlineExceeded)
        {
            return DeadlineStatus;
        }
        if (_status is { } decided)
        {
            return decided;
        }
        return exception switch
        {
            RpcException rpc => rpc.Status,
            OperationCanceledException => new Status(StatusCode.Cancelled, "Call cancelled by the client."),
            HttpRequestException { InnerException: HttpProtocolException protocol } => StatusFromProtocolError(protocol),
            HttpProtocolException protocol => StatusFromProtocolError(protocol),
            HttpRequestException http => new Status(StatusCode.Unavailable, $"Error starting gRPC call: {http.Message}"),
            IOException io => new Status(StatusCode.Unavailable, $"Error reading the gRPC response: {io.Message}"),
            _ => new Status(StatusCode.Internal, $"Error in gRPC call: {exception.GetType().Name}: {exception.Message}"),
        };
    }

    private static Status StatusFromProtocolError(HttpProtocolException exception) => exception.ErrorCode switch
    {
        0x8 => new Status(StatusCode.Cancelled, "The server cancelled the stream (RST_STREAM CANCEL)."),
        0x7 => new Status(StatusCode.Unavailable, "The server refused the stream (RST_STREAM REFUSED_STREAM)."),
        0xB => new Status(StatusCode.ResourceExhausted, "The server reported ENHANCE_YOUR_CALM."),
        _ => new Status(StatusCode.Internal, $"HTTP/2 error {exception.ErrorCode}: {exception.Message}"),
    };

    // gRPC's doc/http-grpc-status-mapping.md, for responses that carry no grpc-status.
    private static Status StatusFromHttp(HttpStatusCode code)
    {
        var grpcCode = code switch
        {
            HttpStatusCode.BadRequest => StatusCode.Internal,
            HttpStatusCode.Unauthorized => StatusCode.Unauthenticated,
            HttpStatusCode.Forbidden => StatusCode.PermissionDenied,
            HttpStatusCode.NotFound => StatusCode.Unimplemented,
            HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => StatusCode.Unavailable,
            _ => StatusCode.Unknown,
        };
        return new Status(grpcCode, $"Bad gRPC response. HTTP status code: {(int)code}");
    }

    private static Status? ReadStatus(HttpHeaders headers)
    {
        if (!headers.NonValidated.TryGetValues(GrpcProtocol.StatusHeader, out var values))
        {
            return null;
        }
        var text = values.ToString();
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
        {
            return new Status(StatusCode.Unknown, $"Unexpected grpc-status value '{text}'.");
        }
        var detail = headers.NonValidated.TryGetValues(GrpcProtocol.MessageHeader, out var messages)
            ? PercentEncoding.Decode(messages.ToString())
            : "";
        return new Status((StatusCode)code, detail);
    }
}
