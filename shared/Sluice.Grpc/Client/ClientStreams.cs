using Google.Protobuf;

namespace Sluice.Grpc.Client;

internal sealed class ResponseStreamReader<TRequest, TResponse>(GrpcCall<TRequest, TResponse> call) : IAsyncStreamReader<TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private TResponse? _current;

    public TResponse Current => _current ?? throw new InvalidOperationException("No current message: call MoveNext first.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        _current = await call.ReadNextAsync(cancellationToken).ConfigureAwait(false);
        return _current is not null;
    }
}

internal sealed class RequestStreamWriter<TRequest, TResponse>(GrpcCall<TRequest, TResponse> call) : IClientStreamWriter<TRequest>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public Task WriteAsync(TRequest message, CancellationToken cancellationToken = default) =>
        call.WriteRequestAsync(message, cancellationToken);

    public Task CompleteAsync() => call.CompleteRequestAsync();
}
