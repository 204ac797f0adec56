using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Health.V1;
using Sluice.Interop.V1;

namespace Sluice.Grpc.Tests.Interop;

/// <summary>Sluice's client calls a real Python grpcio server, every scenario the peers run the other way.</summary>
public sealed class SluiceClientCallsPythonServerTests(PythonServerFixture server) : IClassFixture<PythonServerFixture>, IDisposable
{
    private readonly WireRecorder _wire = new();
    private GrpcChannel? _channel;

    private GrpcChannel Channel => _channel ??= GrpcChannel.ForAddress($"http://127.0.0.1:{server.Port}", new GrpcChannelOptions { HttpHandler = _wire });

    private InteropService.InteropServiceClient Client => new(Channel);

    private static DateTime Soon => DateTime.UtcNow.AddSeconds(30);

    public void Dispose() => _channel?.Dispose();

    [Fact]
    public async Task UnaryEcho_ToPython_EchoesMessageAndPayload()
    {
        var payload = ByteString.CopyFrom(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());

        var response = await Client.UnaryEchoAsync(new EchoRequest { Message = "héllo wörld", Payload = payload }, deadline: Soon);

        Assert.Equal("héllo wörld", response.Message);
        Assert.Equal(payload, response.Payload);
        Assert.Equal(256, response.ReceivedSize);
    }

    [Fact]
    public async Task ServerStream_ToPython_ReadsEveryMessageInOrder()
    {
        using var call = Client.ServerStream(new StreamRequest { Message = "m", Count = 5, PayloadSize = 10 }, deadline: Soon);

        var replies = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Equal(["m-0", "m-1", "m-2", "m-3", "m-4"], replies.Select(r => r.Message));
        Assert.Equal([0, 1, 2, 3, 4], replies.Select(r => r.Sequence));
        Assert.All(replies, r => Assert.Equal(10, r.Payload.Length));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ClientStream_ToPython_SendsEveryRequest()
    {
        using var call = Client.ClientStream(deadline: Soon);
        foreach (var text in new[] { "a", "b", "c" })
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Message = text });
        }
        await call.RequestStream.CompleteAsync();

        var response = await call;

        Assert.Equal("a,b,c", response.Message);
        Assert.Equal(3, response.Sequence);
    }

    [Fact]
    public async Task BidiEcho_ToPython_PingPong()
    {
        using var call = Client.BidiEcho(deadline: Soon);
        var replies = new List<EchoResponse>();
        foreach (var text in new[] { "one", "two", "three" })
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Message = text });
            Assert.True(await call.ResponseStream.MoveNext());
            replies.Add(call.ResponseStream.Current);
        }
        await call.RequestStream.CompleteAsync();

        Assert.False(await call.ResponseStream.MoveNext());
        Assert.Equal(["one", "two", "three"], replies.Select(r => r.Message));
        Assert.Equal([0, 1, 2], replies.Select(r => r.Sequence));
    }

    [Fact]
    public async Task Fail_NonAsciiMessage_SurfacesAsRpcException()
    {
        const string text = "Ünïcödé ✓ 数据 100% done\r\nline2";

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.FailAsync(new FailRequest { Code = 9, Message = text }, deadline: Soon));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal(text, error.Status.Detail);
    }

    [Fact]
    public async Task EchoMetadata_TextAndBinary_ComeBackAsHeadersAndTrailers()
    {
        var binary = new byte[] { 0, 1, 2, 254, 255 };
        using var call = Client.EchoMetadataAsync(new EchoRequest { Message = "md" }, new Metadata { { "x-echo-text", "hello world" }, { "x-echo-data-bin", binary } }, Soon);

        await call;
        var headers = await call.ResponseHeadersAsync;
        var trailers = call.GetTrailers();

        Assert.Equal("hello world", headers.GetValue("x-echo-text"));
        Assert.Equal(binary, headers.GetValueBytes("x-echo-data-bin"));
        Assert.Equal("hello world", trailers.GetValue("trailer-x-echo-text"));
        Assert.Equal(binary, trailers.GetValueBytes("trailer-x-echo-data-bin"));
    }

    [Fact]
    public async Task Sleep_DeadlineExceeded_PythonHandlerSeesCancellation()
    {
        var probe = Guid.NewGuid().ToString();

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.SleepAsync(new SleepRequest { ProbeId = probe, SleepMs = 10_000 }, deadline: DateTime.UtcNow.AddMilliseconds(500)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        await AssertHandlerCancelledAsync(probe);
    }

    [Fact]
    public async Task Sleep_ClientCancels_PythonHandlerSeesCancellation()
    {
        var probe = Guid.NewGuid().ToString();
        using var cancellation = new CancellationTokenSource();
        using var call = Client.SleepAsync(new SleepRequest { ProbeId = probe, SleepMs = 10_000 }, deadline: Soon, cancellationToken: cancellation.Token);
        await Client.GetProbeAsync(new ProbeRequest { ProbeId = probe, WaitMs = 0 }, deadline: Soon); // let the call reach the server
        await Task.Delay(300);

        cancellation.Cancel();
        var error = await Assert.ThrowsAsync<RpcException>(async () => await call);

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await AssertHandlerCancelledAsync(probe);
    }

    [Fact]
    public async Task UnaryEcho_ThreeMegabytes_Accepted()
    {
        var payload = ByteString.CopyFrom(new byte[3 * 1024 * 1024]);

        var response = await Client.UnaryEchoAsync(new EchoRequest { Payload = payload }, deadline: Soon);

        Assert.Equal(payload.Length, response.ReceivedSize);
        Assert.Equal(payload.Length, response.Payload.Length);
    }

    [Fact]
    public async Task UnaryEcho_FiveMegabytes_ResourceExhausted()
    {
        var payload = ByteString.CopyFrom(new byte[5 * 1024 * 1024]);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.UnaryEchoAsync(new EchoRequest { Payload = payload }, deadline: Soon));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task UnaryEcho_FiveMegabyteResponse_ClientLimitRejectsIt()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.UnaryEchoAsync(new EchoRequest { ResponseSize = 5 * 1024 * 1024 }, deadline: Soon));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task UnaryEcho_Gzip_CompressedOnTheWireBothWays()
    {
        var payload = ByteString.CopyFrom(new byte[100 * 1024]);

        var response = await Client.UnaryEchoAsync(
            new EchoRequest { Payload = payload, CompressResponse = true },
            new CallOptions(Deadline: Soon, Compression: "gzip"));

        Assert.Equal(payload, response.Payload);
        Assert.Equal(payload.Length, response.ReceivedSize);
        Assert.Equal("gzip", _wire.LastRequestEncoding);
        Assert.Equal("gzip", _wire.LastResponseEncoding);
    }

    [Fact]
    public async Task UnknownMethodAndService_Unimplemented()
    {
        var unknownMethod = new Method<EchoRequest, EchoResponse>(MethodType.Unary, InteropService.Descriptor.FullName, "NoSuchMethod", EchoRequest.Parser, EchoResponse.Parser);
        var unknownService = new Method<EchoRequest, EchoResponse>(MethodType.Unary, "sluice.interop.v1.NoSuchService", "UnaryEcho", EchoRequest.Parser, EchoResponse.Parser);

        var methodError = await Assert.ThrowsAsync<RpcException>(async () => await Channel.CreateUnaryCall(unknownMethod, new EchoRequest(), new CallOptions(Deadline: Soon)));
        var serviceError = await Assert.ThrowsAsync<RpcException>(async () => await Channel.CreateUnaryCall(unknownService, new EchoRequest(), new CallOptions(Deadline: Soon)));

        Assert.Equal(StatusCode.Unimplemented, methodError.StatusCode);
        Assert.Equal(StatusCode.Unimplemented, serviceError.StatusCode);
    }

    [Fact]
    public async Task HealthCheck_ServingAndUnknown()
    {
        var health = new Health.HealthClient(Channel);

        var serving = await health.CheckAsync(new HealthCheckRequest { Service = "" }, deadline: Soon);
        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await health.CheckAsync(new HealthCheckRequest { Service = "no.such.Service" }, deadline: Soon));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, serving.Status);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    private async Task AssertHandlerCancelledAsync(string probeId)
    {
        var probe = await Client.GetProbeAsync(new ProbeRequest { ProbeId = probeId, WaitMs = 5000 }, deadline: Soon);
        Assert.True(probe.Found, "the Sleep handler never started");
        Assert.True(probe.Finished, "the Sleep handler did not finish");
        Assert.True(probe.Cancelled, "the Sleep handler was not cancelled");
    }

    /// <summary>Sits between the client and the socket to observe the encodings actually used on the wire.</summary>
    private sealed class WireRecorder() : DelegatingHandler(new SocketsHttpHandler { UseProxy = false })
    {
        public string? LastRequestEncoding { get; private set; }

        public string? LastResponseEncoding { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            LastRequestEncoding = Header(request.Headers, "grpc-encoding");
            var response = await base.SendAsync(request, cancellationToken);
            LastResponseEncoding = Header(response.Headers, "grpc-encoding");
            return response;
        }

        private static string? Header(HttpHeaders headers, string name) =>
            headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
    }
}

internal static class AsyncEnumerableTestExtensions
{
    public static async Task<List<T>> ToListAsync<T>(this IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source)
        {
            list.Add(item);
        }
        return list;
    }
}
