using System.Buffers;
using System.IO.Pipelines;

namespace Sluice.Benchmarks.BareKestrel;

/// <summary>
/// The whole server: one RequestDelegate answering sluice.interop.v1.InteropService's UnaryEcho and
/// ServerStream, and grpc.health.v1.Health's Check, with valid gRPC responses and nothing more (no
/// routing, no protobuf library, no deadlines, no compression). Every other method ends with
/// UNIMPLEMENTED.
/// </summary>
internal static class BareGrpcEndpoint
{
    private const string UnaryEchoPath = "/sluice.interop.v1.InteropService/UnaryEcho";
    private const string ServerStreamPath = "/sluice.interop.v1.InteropService/ServerStream";
    private const string HealthCheckPath = "/grpc.health.v1.Health/Check";
    private const string GrpcContentType = "application/grpc";

    /// <summary>
    /// Bytes a stream may buffer before it flushes: one default-sized HTTP/2 DATA frame, so the
    /// peer receives full frames without waiting for the whole stream.
    /// </summary>
    private const int StreamFlushThreshold = 16 * 1024;

    public static Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return Task.CompletedTask;
        }

        // application/grpc, optionally followed by +proto or ;params (PROTOCOL-HTTP2.md).
        if (request.ContentType is not { } contentType || !contentType.StartsWith(GrpcContentType, StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return Task.CompletedTask;
        }

        context.Response.ContentType = GrpcContentType;
        return request.Path.Value switch
        {
            UnaryEchoPath => EchoAsync(context),
            ServerStreamPath => StreamAsync(context),
            HealthCheckPath => HealthCheckAsync(context),
            _ => EndWithoutMessage(context, GrpcStatusCode.Unimplemented, "method not implemented by the bare Kestrel server"),
        };
    }

    private static async Task EchoAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        var body = (await ReadWholeBodyAsync(reader, context.RequestAborted)).Buffer;
        var (status, detail) = GrpcFrame.TryGetSingleMessage(body, out _);
        if (status != GrpcStatusCode.Ok)
        {
            reader.AdvanceTo(body.End);
            await EndWithoutMessage(context, status, detail);
            return;
        }

        // The request frame (prefix included) is echoed byte for byte: an EchoRequest holding only
        // message and payload is also a valid EchoResponse with the same message and payload.
        var writer = context.Response.BodyWriter;
        foreach (var segment in body)
        {
            writer.Write(segment.Span);
        }

        reader.AdvanceTo(body.End);
        context.Response.AppendTrailer("grpc-status", "0");

        // No explicit flush: Kestrel flushes when the delegate returns, so headers, data and
        // trailers leave together.
    }

    /// <summary>
    /// A HealthCheckResponse { status = SERVING } for the whole server (service ""), NOT_FOUND for
    /// any named service: this server has no per-service status.
    /// </summary>
    private static async Task HealthCheckAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        var body = (await ReadWholeBodyAsync(reader, context.RequestAborted)).Buffer;
        var (status, detail) = GrpcFrame.TryGetSingleMessage(body, out var message);
        var serviceNamed = false;
        if (status == GrpcStatusCode.Ok
            && !StreamWire.TryParseHealthCheckRequest(message.IsSingleSegment ? message.FirstSpan : message.ToArray(), out serviceNamed))
        {
            (status, detail) = (GrpcStatusCode.Internal, "request is not a HealthCheckRequest");
        }

        reader.AdvanceTo(body.End);
        if (status == GrpcStatusCode.Ok && serviceNamed)
        {
            (status, detail) = (GrpcStatusCode.NotFound, "unknown service");
        }

        if (status != GrpcStatusCode.Ok)
        {
            await EndWithoutMessage(context, status, detail);
            return;
        }

        context.Response.BodyWriter.Write(StreamWire.ServingHealthCheckReply);
        context.Response.AppendTrailer("grpc-status", "0");
    }

    private static async Task StreamAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        var body = (await ReadWholeBodyAsync(reader, context.RequestAborted)).Buffer;
        var (status, detail) = GrpcFrame.TryGetSingleMessage(body, out var message);
        StreamWire.StreamRequest parsed = default;
        if (status == GrpcStatusCode.Ok
            && !StreamWire.TryParseStreamRequest(message.IsSingleSegment ? message.FirstSpan : message.ToArray(), out parsed))
        {
            (status, detail) = (GrpcStatusCode.Internal, "request is not a StreamRequest");
        }

        reader.AdvanceTo(body.End);
        if (status == GrpcStatusCode.Ok && (parsed.Count < 0 || parsed.PayloadSize is < 0 or > GrpcFrame.MaxMessageLength / 2))
        {
            (status, detail) = (GrpcStatusCode.InvalidArgument, "count must be >= 0 and payload_size within 0-2 MiB");
        }

        if (status != GrpcStatusCode.Ok)
        {
            await EndWithoutMessage(context, status, detail);
            return;
        }

        var writer = context.Response.BodyWriter;
        try
        {
            for (var sequence = 0; sequence < parsed.Count; sequence++)
            {
                StreamWire.WriteFramedReply(writer, parsed.Message, parsed.PayloadSize, sequence);
                if (writer.UnflushedBytes >= StreamFlushThreshold)
                {
                    var flush = await writer.FlushAsync(context.RequestAborted);
                    if (flush.IsCompleted || flush.IsCanceled)
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The peer reset the stream; there is nobody left to answer.
            return;
        }

        context.Response.AppendTrailer("grpc-status", "0");
    }

    /// <summary>
    /// Reads until the client ends the request stream. Unary and server-streaming requests carry
    /// one message, so the body is small; reading stops early once it exceeds the message limit.
    /// The caller must advance the reader past the returned buffer.
    /// </summary>
    private static async ValueTask<ReadResult> ReadWholeBodyAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            if (result.IsCompleted || result.IsCanceled || result.Buffer.Length > GrpcFrame.PrefixLength + GrpcFrame.MaxMessageLength)
            {
                return result;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>A trailers-only response: the status travels in the single HEADERS frame.</summary>
    private static Task EndWithoutMessage(HttpContext context, GrpcStatusCode status, string detail)
    {
        // grpc-message is percent-encoded; every detail used here is plain ASCII without '%'.
        context.Response.Headers["grpc-status"] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = detail;
        return Task.CompletedTask;
    }
}
