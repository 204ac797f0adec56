using System.Collections.Concurrent;
using Google.Protobuf;
using Sluice.Grpc;
using Sluice.Interop.V1;

namespace Sluice.Interop;

/// <summary>
/// Sluice's implementation of the interop contract, with the semantics written in
/// tests/protos/sluice/interop/v1/interop.proto (the Python peer server implements the same).
/// </summary>
public sealed class InteropServiceImpl(SleepProbes probes) : InteropService.InteropServiceBase
{
    private const string EchoPrefix = "x-echo-";
    private const string TrailerPrefix = "trailer-";

    public override Task<EchoResponse> UnaryEcho(EchoRequest request, ServerCallContext context)
    {
        if (request.CompressResponse)
        {
            context.ResponseCompression = "gzip";
        }
        return Task.FromResult(new EchoResponse
        {
            Message = request.Message,
            Payload = request.ResponseSize > 0 ? ByteString.CopyFrom(Pattern(request.ResponseSize)) : request.Payload,
            ReceivedSize = request.Payload.Length,
            RequestCompressed = context.RequestEncoding == "gzip",
        });
    }

    public override async Task ServerStream(StreamRequest request, IServerStreamWriter<EchoResponse> responseStream, ServerCallContext context)
    {
        // A bulk stream: let the runtime coalesce writes (bounded) instead of flushing each message.
        context.BufferResponseWrites = true;
        var payload = ByteString.CopyFrom(Pattern(request.PayloadSize));
        for (var i = 0; i < request.Count; i++)
        {
            await responseStream.WriteAsync(new EchoResponse { Message = $"{request.Message}-{i}", Sequence = i, Payload = payload }, context.CancellationToken);
        }
    }

    public override async Task<EchoResponse> ClientStream(IAsyncStreamReader<EchoRequest> requestStream, ServerCallContext context)
    {
        var messages = new List<string>();
        var received = 0;
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            messages.Add(request.Message);
            received += request.Payload.Length;
        }
        return new EchoResponse { Message = string.Join(",", messages), Sequence = messages.Count, ReceivedSize = received };
    }

    public override async Task BidiEcho(IAsyncStreamReader<EchoRequest> requestStream, IServerStreamWriter<EchoResponse> responseStream, ServerCallContext context)
    {
        var index = 0;
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(new EchoResponse { Message = request.Message, Sequence = index++, ReceivedSize = request.Payload.Length }, context.CancellationToken);
        }
    }

    public override Task<EchoResponse> Fail(FailRequest request, ServerCallContext context)
    {
        if (request.Code == 0)
        {
            return Task.FromResult(new EchoResponse());
        }
        throw new RpcException((StatusCode)request.Code, request.Message);
    }

    public override async Task<EchoResponse> EchoMetadata(EchoRequest request, ServerCallContext context)
    {
        var echoed = new Metadata();
        foreach (var entry in context.RequestHeaders)
        {
            if (entry.Key.StartsWith(EchoPrefix, StringComparison.Ordinal))
            {
                echoed.Add(entry);
                if (entry.IsBinary)
                {
                    context.ResponseTrailers.Add(TrailerPrefix + entry.Key, entry.ValueBytes);
                }
                else
                {
                    context.ResponseTrailers.Add(TrailerPrefix + entry.Key, entry.Value);
                }
            }
        }
        await context.WriteResponseHeadersAsync(echoed);
        return new EchoResponse { Message = request.Message };
    }

    public override async Task<EchoResponse> Sleep(SleepRequest request, ServerCallContext context)
    {
        var probe = probes.Start(request.ProbeId);
        var cancelled = false;
        try
        {
            await Task.Delay(Math.Max(request.SleepMs, 0), context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            cancelled = true;
        }
        probes.Finish(probe, cancelled);
        context.CancellationToken.ThrowIfCancellationRequested();
        return new EchoResponse { Message = "slept" };
    }

    public override async Task<ProbeResponse> GetProbe(ProbeRequest request, ServerCallContext context)
    {
        var probe = await probes.WaitFinishedAsync(request.ProbeId, TimeSpan.FromMilliseconds(Math.Max(request.WaitMs, 0)), context.CancellationToken);
        return probe is null
            ? new ProbeResponse { Found = false }
            : new ProbeResponse { Found = true, Finished = probe.Finished.Task.IsCompleted, Cancelled = probe.Cancelled };
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

/// <summary>What each Sleep handler observed, by probe id: lets a peer check that cancellation reached the handler.</summary>
public sealed class SleepProbes
{
    private readonly ConcurrentDictionary<string, Probe> _probes = new(StringComparer.Ordinal);

    public Probe Start(string id) => _probes.GetOrAdd(id, _ => new Probe());

    public void Finish(Probe probe, bool cancelled)
    {
        probe.Cancelled = cancelled;
        probe.Finished.TrySetResult();
    }

    public async Task<Probe?> WaitFinishedAsync(string id, TimeSpan wait, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + wait;
        Probe? probe;
        while (!_probes.TryGetValue(id, out probe))
        {
            if (DateTime.UtcNow >= until)
            {
                return null;
            }
            await Task.Delay(20, cancellationToken);
        }
        var remaining = until - DateTime.UtcNow;
        if (remaining > TimeSpan.Zero)
        {
            await Task.WhenAny(probe.Finished.Task, Task.Delay(remaining, cancellationToken));
        }
        return probe;
    }

    public sealed class Probe
    {
        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public volatile bool Cancelled;
    }
}
