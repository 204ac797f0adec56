using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Sluice.Validation.V1;

namespace Sluice.ServiceDefaults.Tests;

/// <summary>
/// Malformed and hostile gRPC requests, sent as raw HTTP/2 to a real service (validation's
/// ValidateDocument on the all-in-one host): each gets a clean error status, and the same
/// connection's server keeps answering well-formed calls afterwards.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private const string ValidatePath = "/sluice.validation.v1.ValidationService/ValidateDocument";
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(20);

    private HostUnderTest _host = null!;
    private HttpMessageInvoker _http = null!;

    public async Task InitializeAsync()
    {
        _host = await HostUnderTest.StartAsync();
        _http = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false, EnableMultipleHttp2Connections = false });
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Call_MessageOverTheLimit_ResourceExhaustedAndStillServing()
    {
        var request = new ValidateDocumentRequest { SchemaJson = "{}", DocumentJson = "\"" + new string('x', 5 * 1024 * 1024) + "\"" };

        var (status, message) = await RawCallAsync(Frame(request.ToByteArray(), compressed: false));

        Assert.Equal(StatusCode.ResourceExhausted, status);
        Assert.Contains("maximum", message, StringComparison.OrdinalIgnoreCase);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Call_DeclaredLengthOverTheLimit_RefusedBeforeThePayloadArrives()
    {
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), 100 * 1024 * 1024);
        var neverEnds = new TaskCompletionSource();

        var (status, _) = await RawCallAsync(header, holdOpen: neverEnds.Task);

        neverEnds.TrySetResult();
        Assert.Equal(StatusCode.ResourceExhausted, status);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Call_CompressedFlagWithoutEncoding_ErrorStatusAndStillServing()
    {
        var request = new ValidateDocumentRequest { SchemaJson = "{}", DocumentJson = "1" };

        var (status, message) = await RawCallAsync(Frame(request.ToByteArray(), compressed: true));

        Assert.Equal(StatusCode.Internal, status);
        Assert.Contains("grpc-encoding", message);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Call_TruncatedFrame_ErrorStatusAndStillServing()
    {
        var header = new byte[5 + 10];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), 100);

        var (status, message) = await RawCallAsync(header);

        Assert.Equal(StatusCode.Internal, status);
        Assert.Contains("Incomplete", message, StringComparison.OrdinalIgnoreCase);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Call_GzipBomb_ResourceExhaustedAndStillServing()
    {
        // 64 MiB of zeros compress to about 64 KiB: small on the wire, far over the 4 MB limit once inflated.
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < 64; i++)
            {
                gzip.Write(zeros);
            }
        }
        Assert.True(compressed.Length < 256 * 1024);

        var (status, _) = await RawCallAsync(Frame(compressed.ToArray(), compressed: true), encoding: "gzip");

        Assert.Equal(StatusCode.ResourceExhausted, status);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Call_GzipRequest_Accepted()
    {
        var request = new ValidateDocumentRequest { SchemaJson = """{"type":"integer"}""", DocumentJson = "1" };
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            request.WriteTo(gzip);
        }

        var (status, _) = await RawCallAsync(Frame(compressed.ToArray(), compressed: true), encoding: "gzip");

        Assert.Equal(StatusCode.OK, status);
    }

    private static byte[] Frame(byte[] payload, bool compressed)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>
    /// Sends <paramref name="body"/> as a gRPC request body and returns the call's status, from
    /// the trailers or (trailers-only responses) the headers. With <paramref name="holdOpen"/>, the
    /// request body stays open until that task ends.
    /// </summary>
    private async Task<(StatusCode Status, string Message)> RawCallAsync(byte[] body, string? encoding = null, Task? holdOpen = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{_host.Endpoints["Validation"]}{ValidatePath}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new RawContent(body, holdOpen),
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Content.Headers.TryAddWithoutValidation("content-type", "application/grpc");
        if (encoding is not null)
        {
            request.Headers.TryAddWithoutValidation("grpc-encoding", encoding);
        }
        using var timer = new CancellationTokenSource(CallTimeout);
        using var response = await _http.SendAsync(request, timer.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.CopyToAsync(Stream.Null, timer.Token);
        var headers = response.TrailingHeaders.Contains("grpc-status") ? response.TrailingHeaders : response.Headers;
        var status = (StatusCode)int.Parse(headers.GetValues("grpc-status").Single());
        var message = headers.TryGetValues("grpc-message", out var values) ? Uri.UnescapeDataString(values.Single()) : "";
        return (status, message);
    }

    private async Task AssertStillServingAsync()
    {
        var client = new ValidationService.ValidationServiceClient(_host.ChannelTo("Validation"));
        var reply = await client.ValidateDocumentAsync(new ValidateDocumentRequest { SchemaJson = """{"type":"integer"}""", DocumentJson = "7" }, deadline: DateTime.UtcNow.Add(CallTimeout));
        Assert.True(reply.Valid);
    }

    /// <summary>A request body written as given, optionally left open until <c>holdOpen</c> ends.</summary>
    private sealed class RawContent(byte[] body, Task? holdOpen) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(body);
            await stream.FlushAsync();
            if (holdOpen is not null)
            {
                await holdOpen;
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
