using Google.Protobuf;
using Grpc.Core;
using Sluice.Interop.V1;

namespace Sluice.Interop;

/// <summary>
/// Sluice's implementation of the interop contract (tests/protos/sluice/interop/v1/interop.proto)
/// on Grpc.AspNetCore: the two methods the gRPC benchmark calls, UnaryEcho and ServerStream. The
/// contract's other methods answer UNIMPLEMENTED (the generated base class does that), as on the
/// benchmark's C++ server.
/// </summary>
public sealed class InteropServiceImpl : InteropService.InteropServiceBase
{
    /// <summary>Largest stream reply payload; bigger requests are INVALID_ARGUMENT, as on the other benchmark servers.</summary>
    public const int MaxStreamPayload = 2 * 1024 * 1024;

    /// <summary>
    /// A bulk stream buffers its replies and flushes once about this many bytes are waiting, so
    /// HTTP/2 frames go out full while memory stays bounded: each flush waits for the reader's
    /// flow-control window (the pattern of the Query service's StreamStatementResult).
    /// </summary>
    private const int FlushThreshold = 32 * 1024;

    /// <summary>Per-call response compression in Grpc.AspNetCore: a response header it consumes.</summary>
    private const string ResponseEncodingRequest = "grpc-internal-encoding-request";

    private static readonly WriteOptions BufferedWrite = new(WriteFlags.BufferHint);

    public override Task<EchoResponse> UnaryEcho(EchoRequest request, ServerCallContext context)
    {
        var response = new EchoResponse
        {
            Message = request.Message,
            Payload = request.ResponseSize > 0 ? ByteString.CopyFrom(Pattern(request.ResponseSize)) : request.Payload,
            ReceivedSize = request.Payload.Length,
            RequestCompressed = context.GetHttpContext().Request.Headers.GrpcEncoding == "gzip",
        };
        return request.CompressResponse ? CompressedAsync(response, context) : Task.FromResult(response);
    }

    /// <summary>Asks for a gzip-compressed reply (sent compressed only if the caller accepts gzip).</summary>
    private static async Task<EchoResponse> CompressedAsync(EchoResponse response, ServerCallContext context)
    {
        await context.WriteResponseHeadersAsync(new Metadata { { ResponseEncodingRequest, "gzip" } });
        return response;
    }

    public override async Task ServerStream(StreamRequest request, IServerStreamWriter<EchoResponse> responseStream, ServerCallContext context)
    {
        if (request.Count < 0 || request.PayloadSize is < 0 or > MaxStreamPayload)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "count must be >= 0 and payload_size within 0-2 MiB"));
        }
        var token = context.CancellationToken;
        var payload = ByteString.CopyFrom(Pattern(request.PayloadSize));
        var pending = 0;
        for (var i = 0; i < request.Count; i++)
        {
            var reply = new EchoResponse { Message = $"{request.Message}-{i}", Sequence = i, Payload = payload };
            // A write with WriteOptions null is flushed (and waits for flow control); the others
            // stay in Kestrel's response pipe. Whatever is left is flushed when the call ends.
            pending += reply.CalculateSize() + 5;
            if (pending < FlushThreshold)
            {
                responseStream.WriteOptions = BufferedWrite;
            }
            else
            {
                responseStream.WriteOptions = null;
                pending = 0;
            }
            await responseStream.WriteAsync(reply, token).ConfigureAwait(false);
        }
    }

    private static byte[] Pattern(int size)
    {
        var bytes = new byte[Math.Max(size, 0)];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i % 251);
        }
        return bytes;
    }
}
