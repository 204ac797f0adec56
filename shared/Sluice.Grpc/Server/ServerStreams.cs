using Google.Protobuf;

namespace Sluice.Grpc.Server;

/// <summary>The request stream of a client-streaming or bidirectional call.</summary>
internal sealed class HttpRequestStreamReader<T>(HttpServerCallContext call, MessageParser<T> parser) : IAsyncStreamReader<T>
    where T : class, IMessage<T>
{
    private T? _current;

    public T Current => _current ?? throw new InvalidOperationException("No current message: call MoveNext first.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            _current = await call.ReadMessageAsync(parser, call.CancellationToken).ConfigureAwait(false);
            return _current is not null;
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, call.CancellationToken);
        _current = await call.ReadMessageAsync(parser, linked.Token).ConfigureAwait(false);
        return _current is not null;
    }
}

/// <summary>The response stream of a server-streaming or bidirectional call.</summary>
internal sealed class HttpResponseStreamWriter<T>(HttpServerCallContext call) : IServerStreamWriter<T>, ISerializedMessageWriter
    where T : IMessage<T>
{
    public Task WriteAsync(T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();
        return call.WriteStreamMessageAsync(new HttpServerCallContext.OutgoingMessage(message)).AsTask();
    }

    public Task WriteSerializedAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return call.WriteStreamMessageAsync(new HttpServerCallContext.OutgoingMessage(message)).AsTask();
    }
}
