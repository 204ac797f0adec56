using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Interop;
using Sluice.Interop.V1;

namespace Sluice.Grpc.Tests.EndToEnd;

/// <summary>
/// <see cref="SerializedMessageWriterExtensions.WriteSerializedAsync{T}"/>: responses kept in
/// their wire encoding reach a client exactly like responses written as objects.
/// </summary>
public sealed class SerializedResponseTests
{
    private static DateTime Soon => DateTime.UtcNow.AddSeconds(30);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SerializedStream_ClientReadsTheSameMessagesAsFromObjects(bool gzip)
    {
        await using var app = await StartAsync(maxSendMessageSize: null);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{InteropServer.GetPort(app)}");
        var client = new InteropService.InteropServiceClient(channel);

        var request = new StreamRequest { Message = gzip ? "gzip" : "plain", Count = 200, PayloadSize = 3000 };
        using var call = client.ServerStream(request, deadline: Soon);
        var received = new List<EchoResponse>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            received.Add(message);
        }

        Assert.Equal(Expected(request), received);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task SerializedStreamWithGzip_EveryFrameIsCompressedOnTheWire()
    {
        await using var app = await StartAsync(maxSendMessageSize: null);
        var request = new StreamRequest { Message = "gzip", Count = 3, PayloadSize = 3000 };
        var frame = new byte[5 + request.CalculateSize()];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)(frame.Length - 5));
        request.WriteTo(frame.AsSpan(5));
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var message = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{InteropServer.GetPort(app)}/sluice.interop.v1.InteropService/ServerStream")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame) { Headers = { ContentType = new("application/grpc") } },
        };
        message.Headers.TryAddWithoutValidation("te", "trailers");
        message.Headers.TryAddWithoutValidation("grpc-accept-encoding", "gzip");

        using var response = await http.SendAsync(message);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal("gzip", response.Headers.GetValues("grpc-encoding").Single());
        var messages = new List<EchoResponse>();
        for (var offset = 0; offset < body.Length;)
        {
            Assert.Equal(1, body[offset]); // The compressed flag.
            var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(offset + 1));
            using var gunzip = new System.IO.Compression.GZipStream(new MemoryStream(body, offset + 5, length), System.IO.Compression.CompressionMode.Decompress);
            messages.Add(EchoResponse.Parser.ParseFrom(gunzip));
            offset += 5 + length;
        }
        Assert.Equal(Expected(request), messages);
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
    }

    [Fact]
    public async Task SerializedMessageOverTheSendLimit_EndsTheCallWithResourceExhausted()
    {
        await using var app = await StartAsync(maxSendMessageSize: 10_000);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{InteropServer.GetPort(app)}");
        var client = new InteropService.InteropServiceClient(channel);

        using var call = client.ServerStream(new StreamRequest { Message = "big", Count = 2, PayloadSize = 20_000 }, deadline: Soon);
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in call.ResponseStream.ReadAllAsync())
            {
            }
        });
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("maximum configured message size", error.Status.Detail);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SerializedUnaryResponse_IsSentInsteadOfTheReturnedMessage(bool gzip)
    {
        await using var app = await StartAsync(maxSendMessageSize: null);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{InteropServer.GetPort(app)}");
        var client = new InteropService.InteropServiceClient(channel);

        var response = await client.UnaryEchoAsync(new EchoRequest { Message = "stored", ResponseSize = 100_000, CompressResponse = gzip }, deadline: Soon);

        Assert.Equal(SerializedStreamService.UnaryResponse(100_000), response);
    }

    [Fact]
    public async Task SerializedUnaryResponseOverTheSendLimit_ResourceExhausted()
    {
        await using var app = await StartAsync(maxSendMessageSize: 10_000);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{InteropServer.GetPort(app)}");
        var client = new InteropService.InteropServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.UnaryEchoAsync(new EchoRequest { Message = "stored", ResponseSize = 20_000 }, deadline: Soon));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task SerializedResponseInAStreamingMethod_RefusedNamingTheMethod()
    {
        await using var app = await StartAsync(maxSendMessageSize: null);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{InteropServer.GetPort(app)}");
        var client = new InteropService.InteropServiceClient(channel);

        using var call = client.ServerStream(new StreamRequest { Message = "set-response", Count = 1 }, deadline: Soon);
        var message = Assert.Single(await call.ResponseStream.ReadAllAsync().ToListAsync());

        Assert.Contains("ServerStream streams its responses", message.Message);
    }

    [Fact]
    public async Task WriterFromOutsideTheRuntime_RefusesSerializedMessagesByName()
    {
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => new ListWriter().WriteSerializedAsync(new byte[] { 0x0a, 0x00 }));
        Assert.Contains(nameof(ListWriter), error.Message);
    }

    private static List<EchoResponse> Expected(StreamRequest request) => Enumerable.Range(0, request.Count)
        .Select(i => SerializedStreamService.Response(request, i))
        .ToList();

    private static async Task<WebApplication> StartAsync(int? maxSendMessageSize)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(IPAddress.Loopback, 0));
        builder.Services.AddSluiceGrpc(options => options.MaxSendMessageSize = maxSendMessageSize);
        var app = builder.Build();
        app.MapGrpcService<SerializedStreamService>();
        await app.StartAsync();
        return app;
    }

    /// <summary>Streams responses it serialized itself beforehand, as a handler with a cache or a result file would.</summary>
    private sealed class SerializedStreamService : InteropService.InteropServiceBase
    {
        public static EchoResponse Response(StreamRequest request, int index) => new()
        {
            Message = $"{request.Message}-{index}",
            Sequence = index,
            Payload = ByteString.CopyFrom(Enumerable.Range(0, request.PayloadSize).Select(b => (byte)(b * 7 + index)).ToArray()),
        };

        public static EchoResponse UnaryResponse(int size) => new()
        {
            Message = "from stored bytes",
            Payload = ByteString.CopyFrom(Enumerable.Range(0, size).Select(b => (byte)(b * 13)).ToArray()),
        };

        public override Task<EchoResponse> UnaryEcho(EchoRequest request, ServerCallContext context)
        {
            if (request.CompressResponse)
            {
                context.ResponseCompression = "gzip";
            }
            var stored = UnaryResponse(request.ResponseSize).ToByteArray();
            context.SetSerializedResponse(stored);
            stored.AsSpan().Clear(); // The runtime copied the bytes: the buffer is free again.
            return Task.FromResult(new EchoResponse { Message = "returned, not sent" });
        }

        public override async Task ServerStream(StreamRequest request, IServerStreamWriter<EchoResponse> responseStream, ServerCallContext context)
        {
            if (request.Message == "set-response")
            {
                var refusal = Assert.Throws<InvalidOperationException>(() => context.SetSerializedResponse(new byte[] { 0x0a, 0x00 }));
                await responseStream.WriteAsync(new EchoResponse { Message = refusal.Message }, context.CancellationToken);
                return;
            }
            if (request.Message == "gzip")
            {
                context.ResponseCompression = "gzip";
            }
            context.BufferResponseWrites = true;
            var buffer = new byte[64 * 1024];
            for (var i = 0; i < request.Count; i++)
            {
                // One buffer reused for every message: the runtime copies the bytes before the write ends.
                var message = Response(request, i);
                var length = message.CalculateSize();
                buffer.AsSpan().Clear();
                message.WriteTo(buffer.AsSpan(0, length));
                await responseStream.WriteSerializedAsync(buffer.AsMemory(0, length), context.CancellationToken);
            }
        }
    }

    private sealed class ListWriter : IServerStreamWriter<EchoResponse>
    {
        public Task WriteAsync(EchoResponse message, CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}
