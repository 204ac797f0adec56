using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Query.V1;

namespace Sluice.Gateway.Tests;

/// <summary>
/// What the gRPC proxy passes through, seen from both ends: a Grpc.Net.Client caller, and a query
/// service stand-in (a real Grpc.AspNetCore server) that records what reaches it. Deadlines,
/// cancellation, metadata and trailers cross the proxy; the key does not; a stream is passed
/// with flow control.
/// </summary>
public sealed class GrpcProxyPassThroughTests : IAsyncLifetime
{
    private readonly RecordingQueryService _backend = new();
    private WebApplication _backendApp = null!;
    private GatewayUnderTest _gateway = null!;
    private GrpcChannel _channel = null!;
    private QueryService.QueryServiceClient _client = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(_backend);
        _backendApp = builder.Build();
        _backendApp.MapGrpcService<RecordingQueryService>();
        await _backendApp.StartAsync();
        var backendAddress = _backendApp.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        _gateway = await GatewayUnderTest.StartAsync(settings: ["--Sluice:Services:Query:Address=" + backendAddress]);
        var api = await _gateway.DeployAsync(Documents.Hello());
        (_, _, _key) = await _gateway.KeyInPlanAsync(api);
        _channel = GrpcChannel.ForAddress(_gateway.ProxyAddress!);
        _client = new QueryService.QueryServiceClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _gateway.DisposeAsync();
        await _backendApp.DisposeAsync();
    }

    [Fact]
    public async Task Unary_MetadataAndTrailers_PassBothWaysWithoutTheKey()
    {
        var headers = new Metadata { { "x-api-key", _key }, { "x-caller-tag", "tag-1" }, { "x-blob-bin", new byte[] { 0, 1, 2, 250 } } };
        var deadline = DateTime.UtcNow.AddSeconds(30);

        using var call = _client.DescribeStatementAsync(new DescribeStatementRequest { Id = "echo" }, headers, deadline);
        var reply = await call.ResponseAsync;
        var responseHeaders = await call.ResponseHeadersAsync;

        Assert.Equal("echo", reply.Id);
        var seen = Assert.Single(_backend.Requests);
        Assert.Equal("tag-1", seen.Headers.GetValue("x-caller-tag"));
        Assert.Equal(new byte[] { 0, 1, 2, 250 }, seen.Headers.GetValueBytes("x-blob-bin"));
        Assert.Null(seen.Headers.Get("x-api-key"));
        // The caller's deadline reached the backend: not the client default of 30 s from the proxy, not none.
        Assert.True(seen.Deadline <= deadline.AddSeconds(1) && seen.Deadline > deadline.AddSeconds(-25), $"{seen.Deadline:O} vs {deadline:O}");
        Assert.Equal("from-backend", responseHeaders.GetValue("x-backend-header"));
        Assert.Equal("done", call.GetTrailers().GetValue("x-backend-trailer"));
    }

    [Fact]
    public async Task Unary_BackendError_PassesItsStatusMessageAndTrailers()
    {
        var headers = new Metadata { { "x-api-key", _key } };

        using var call = _client.DescribeStatementAsync(new DescribeStatementRequest { Id = "missing" }, headers, DateTime.UtcNow.AddSeconds(30));
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("No statement 'missing' (détail)", error.Status.Detail);
        Assert.Equal(new byte[] { 9, 8, 7 }, error.Trailers.GetValueBytes("x-reason-bin"));
    }

    [Fact]
    public async Task ServerStream_CancelledByTheCaller_CancelsTheBackendCall()
    {
        using var cancel = new CancellationTokenSource();
        using var call = _client.StreamStatementResult(new StreamStatementResultRequest { Id = "forever" }, new Metadata { { "x-api-key", _key } },
            DateTime.UtcNow.AddMinutes(2), cancel.Token);

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(ResultMetadataKind, call.ResponseStream.Current.PayloadCase);
        await cancel.CancelAsync();

        Assert.True(await _backend.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    [Fact]
    public async Task ServerStream_CallerDeadline_EndsTheBackendCallDeadlineExceeded()
    {
        using var call = _client.StreamStatementResult(new StreamStatementResultRequest { Id = "forever" }, new Metadata { { "x-api-key", _key } },
            DateTime.UtcNow.AddSeconds(2));

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.True(await _backend.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(_backend.Requests.Single().Deadline < DateTime.UtcNow.AddSeconds(5));
    }

    [Fact]
    public async Task ServerStream_SlowReader_HoldsTheBackendBackInsteadOfBuffering()
    {
        using var cancel = new CancellationTokenSource();
        using var call = _client.StreamStatementResult(new StreamStatementResultRequest { Id = "flood" }, new Metadata { { "x-api-key", _key } },
            DateTime.UtcNow.AddMinutes(2), cancel.Token);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        // The caller reads no more: the backend's writes stop once the windows between are full.
        var stalledAt = await _backend.WaitUntilWritesStallAsync();
        await cancel.CancelAsync();

        Assert.True(stalledAt < RecordingQueryService.FloodBytes / 4, $"the backend wrote {stalledAt} bytes for a caller that read one message");
        Assert.True(await _backend.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private const StreamStatementResultResponse.PayloadOneofCase ResultMetadataKind = StreamStatementResultResponse.PayloadOneofCase.Metadata;
}

/// <summary>What the stand-in query service saw of one call.</summary>
internal sealed record RecordedCall(Metadata Headers, DateTime Deadline);

/// <summary>
/// A query service stand-in: DescribeStatement echoes (or fails for "missing") with a header and a
/// trailer; StreamStatementResult sends one message and waits for cancellation ("forever"), or
/// writes 64 KB batches until 64 MB or cancellation ("flood"), counting what it wrote.
/// </summary>
internal sealed class RecordingQueryService : QueryService.QueryServiceBase
{
    public const long FloodBytes = 64L * 1024 * 1024;

    private long _written;

    public ConcurrentQueue<RecordedCall> Requests { get; } = new();

    public TaskCompletionSource<bool> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override async Task<DescribeStatementResponse> DescribeStatement(DescribeStatementRequest request, ServerCallContext context)
    {
        Requests.Enqueue(new RecordedCall(context.RequestHeaders, context.Deadline));
        if (request.Id == "missing")
        {
            context.ResponseTrailers.Add("x-reason-bin", [9, 8, 7]);
            throw new RpcException(new Status(StatusCode.NotFound, "No statement 'missing' (détail)"));
        }
        await context.WriteResponseHeadersAsync(new Metadata { { "x-backend-header", "from-backend" } });
        context.ResponseTrailers.Add("x-backend-trailer", "done");
        return new DescribeStatementResponse { Id = request.Id };
    }

    public override async Task StreamStatementResult(StreamStatementResultRequest request, IServerStreamWriter<StreamStatementResultResponse> responseStream, ServerCallContext context)
    {
        Requests.Enqueue(new RecordedCall(context.RequestHeaders, context.Deadline));
        using var registration = context.CancellationToken.Register(() => Cancelled.TrySetResult(true));
        await responseStream.WriteAsync(new StreamStatementResultResponse { Metadata = new ResultMetadata { TotalNumRows = -1 } });
        if (request.Id == "forever")
        {
            await Task.Delay(Timeout.Infinite, context.CancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }
        var batch = new StreamStatementResultResponse { Batch = new RecordBatch { Records = { new Sluice.Query.V1.Record { Fields = { new Field { StringValue = new string('x', 64 * 1024) } } } } } };
        var size = batch.CalculateSize();
        try
        {
            while (Interlocked.Read(ref _written) < FloodBytes && !context.CancellationToken.IsCancellationRequested)
            {
                await responseStream.WriteAsync(batch, context.CancellationToken);
                Interlocked.Add(ref _written, size);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or InvalidOperationException or IOException)
        {
            // The caller went away: the write may fail before the call's token is cancelled.
            Cancelled.TrySetResult(true);
        }
    }

    /// <summary>Waits (bounded) until the flood's byte count has not moved for a second; returns it.</summary>
    public async Task<long> WaitUntilWritesStallAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var last = -1L;
        var still = 0;
        while (true)
        {
            var now = Interlocked.Read(ref _written);
            still = now == last ? still + 1 : 0;
            if (still >= 10 || now >= FloodBytes)
            {
                return now;
            }
            last = now;
            await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token);
        }
    }
}
