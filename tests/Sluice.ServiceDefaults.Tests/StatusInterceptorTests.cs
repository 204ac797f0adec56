using System.Net.Sockets;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Sluice.ServiceDefaults.Rpc;

namespace Sluice.ServiceDefaults.Tests;

/// <summary>The one place exceptions become statuses, driven directly with a stand-in call context.</summary>
public sealed class StatusInterceptorTests
{
    private readonly RecordingLogger<StatusInterceptor> _log = new();

    [Fact]
    public async Task Unary_HandlerThrowsRpcException_PassesUnchanged()
    {
        var thrown = new RpcException(new Status(StatusCode.AlreadyExists, "taken"));

        var error = await CallAsync(thrown);

        Assert.Same(thrown, error);
    }

    [Fact]
    public async Task Unary_DomainExceptionWithMapper_GetsTheMappedStatus()
    {
        var error = await CallAsync(new KeyNotFoundException("statement 42"), new KeyNotFoundMapper());

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("missing: statement 42", error.Status.Detail);
    }

    [Fact]
    public async Task Unary_SecretInUnexpectedException_InternalWithReferenceOnly()
    {
        var error = await CallAsync(new InvalidOperationException("Host=db.internal;Password=hunter2"));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.DoesNotContain("hunter2", error.Status.Detail);
        Assert.DoesNotContain("db.internal", error.Status.Detail);
        Assert.DoesNotContain(nameof(InvalidOperationException), error.Status.Detail);
        var reference = error.Status.Detail.Split("reference ")[1].TrimEnd(')', '.');
        var logged = Assert.Single(_log.Entries, e => e.Level == LogLevel.Error);
        Assert.Contains(reference, logged.Message);
        Assert.Contains("hunter2", logged.Exception!.Message); // The operator sees it in the log, the caller does not.
    }

    [Fact]
    public async Task Unary_SocketFailure_UnavailableWithoutAddress()
    {
        var error = await CallAsync(new HttpRequestException("Connection refused (10.1.2.3:5432)", new SocketException((int)SocketError.ConnectionRefused)));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.DoesNotContain("10.1.2.3", error.Status.Detail);
    }

    [Fact]
    public async Task Unary_DependencyUnavailable_UnavailableNamingTheDependency()
    {
        var error = await CallAsync(new DependencyUnavailableException("warehouse", "Npgsql: connect to 10.1.2.3 failed"));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("warehouse", error.Status.Detail);
        Assert.DoesNotContain("10.1.2.3", error.Status.Detail);
    }

    [Fact]
    public async Task Unary_CancelledAfterDeadline_DeadlineExceeded()
    {
        var context = new StubCallContext(deadline: DateTime.UtcNow.AddSeconds(-1), cancelled: true);

        var error = await CallAsync(new OperationCanceledException(), context: context);

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task Unary_CancelledByCaller_Cancelled()
    {
        var context = new StubCallContext(deadline: DateTime.MaxValue, cancelled: true);

        var error = await CallAsync(new OperationCanceledException(), context: context);

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    [Fact]
    public async Task Unary_OperationCanceledWithoutCancellation_Internal()
    {
        // A timeout inside the handler (not the caller's cancellation) is the service's failure.
        var error = await CallAsync(new OperationCanceledException("inner timeout"));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task ServerStreaming_DomainException_MappedLikeUnary()
    {
        var interceptor = new StatusInterceptor([new KeyNotFoundMapper()], _log);

        var error = await Assert.ThrowsAsync<RpcException>(() => interceptor.ServerStreamingServerHandler<string, string>(
            "request", new NullWriter(), new StubCallContext(), (_, _, _) => throw new KeyNotFoundException("batch 3")));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    private async Task<RpcException> CallAsync(Exception thrown, IRpcExceptionMapper? mapper = null, ServerCallContext? context = null)
    {
        var interceptor = new StatusInterceptor(mapper is null ? [] : [mapper], _log);
        return await Assert.ThrowsAsync<RpcException>(() =>
            interceptor.UnaryServerHandler<string, string>("request", context ?? new StubCallContext(), (_, _) => throw thrown));
    }

    private sealed class KeyNotFoundMapper : IRpcExceptionMapper
    {
        public RpcException? TryMap(Exception exception) =>
            exception is KeyNotFoundException ? new RpcException(new Status(StatusCode.NotFound, "missing: " + exception.Message)) : null;
    }

    private sealed class NullWriter : IServerStreamWriter<string>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(string message) => Task.CompletedTask;
    }

    private sealed class StubCallContext(DateTime? deadline = null, bool cancelled = false) : ServerCallContext
    {
        private readonly CancellationToken _token = new(cancelled);

        protected override string MethodCore => "/test.v1.Test/Call";
        protected override string HostCore => "127.0.0.1";
        protected override string PeerCore => "ipv4:127.0.0.1:1";
        protected override DateTime DeadlineCore => deadline ?? DateTime.MaxValue;
        protected override Metadata RequestHeadersCore { get; } = [];
        protected override CancellationToken CancellationTokenCore => _token;
        protected override Metadata ResponseTrailersCore { get; } = [];
        protected override Status StatusCore { get; set; }
        protected override WriteOptions? WriteOptionsCore { get; set; }
        protected override AuthContext AuthContextCore { get; } = new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}

/// <summary>Keeps what was logged, for tests that check what operators see.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    public List<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, formatter(state, exception), exception));
        }
    }
}
