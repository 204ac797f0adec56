using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Sluice.Contracts;
using Sluice.Ingestion.Sources;
using Sluice.Ingestion.Storage;
using Sluice.Ingestion.Streams;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Grpc;

/// <summary>Push streams: their definitions, and PutRecords as a batch or a long push.</summary>
internal sealed partial class IngestionGrpcService
{
    public override Task<CreateStreamResponse> CreateStream(CreateStreamRequest request, ServerCallContext context)
    {
        var stream = streams.Create(request.Name, request.ShardCount, request.DestinationPrefix, request.Ruleset);
        return Task.FromResult(new CreateStreamResponse { Stream = Describe(stream) });
    }

    public override Task<DescribeStreamResponse> DescribeStream(DescribeStreamRequest request, ServerCallContext context) =>
        Task.FromResult(new DescribeStreamResponse { Stream = Describe(streams.Get(RequireStreamName(request.Name))) });

    public override Task<ListStreamsResponse> ListStreams(ListStreamsRequest request, ServerCallContext context)
    {
        var size = PageSize(request.PageSize);
        var after = request.PageToken.Length == 0 ? "" : DecodeToken(request.PageToken);
        var page = store.ListStreams(after, size + 1);
        var response = new ListStreamsResponse();
        response.Streams.AddRange(page.Take(size).Select(s => ToProto(s)));
        if (page.Count > size)
        {
            response.NextPageToken = EncodeToken(page[size - 1].Name);
        }
        return Task.FromResult(response);
    }

    public override async Task<DeleteStreamResponse> DeleteStream(DeleteStreamRequest request, ServerCallContext context)
    {
        await streamLanding.DeleteAsync(RequireStreamName(request.Name), context.CancellationToken).ConfigureAwait(false);
        return new DeleteStreamResponse();
    }

    public override Task<PutRecordsResponse> PutRecords(PutRecordsRequest request, ServerCallContext context) => streamWriter.PutAsync(request);

    /// <summary>
    /// Bidirectional rather than client streaming with one final reply: a producer acts on each
    /// batch's throttled records while it pushes (it resends them), and the results of a long
    /// push would otherwise pile up unbounded until its end. Batches are written in order as they
    /// arrive and answered in order once synced, up to <see cref="PipelinedBatches"/> ahead, so
    /// one fsync covers several batches.
    /// </summary>
    public override async Task PutRecordsStream(IAsyncStreamReader<PutRecordsRequest> requestStream, IServerStreamWriter<PutRecordsResponse> responseStream, ServerCallContext context)
    {
        var cancellation = context.CancellationToken;
        var pending = Channel.CreateBounded<PendingPut>(new BoundedChannelOptions(PipelinedBatches) { SingleReader = true, SingleWriter = true });
        Exception? refused = null;
        var appending = Task.Run(async () =>
        {
            try
            {
                var batch = 0;
                while (await requestStream.MoveNext(cancellation).ConfigureAwait(false))
                {
                    await pending.Writer.WriteAsync(streamWriter.Append(requestStream.Current, batch++), cancellation).ConfigureAwait(false);
                }
            }
            catch (Exception exception)
            {
                // Answered after the batches before it.
                refused = exception;
            }
            finally
            {
                pending.Writer.Complete();
            }
        }, cancellation);
        await foreach (var put in pending.Reader.ReadAllAsync(cancellation).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(await put.CompleteAsync().ConfigureAwait(false), cancellation).ConfigureAwait(false);
        }
        await appending.ConfigureAwait(false);
        if (refused is not null)
        {
            ExceptionDispatchInfo.Throw(refused);
        }
    }

    private const int PipelinedBatches = 8;

    private StreamDescription Describe(StreamRuntime stream)
    {
        var proto = ToProto(stream.Definition);
        var landed = store.StreamCheckpoints(stream.Name);
        for (var shard = 0; shard < stream.Logs.Length; shard++)
        {
            var (start, end) = ShardHash.Range(shard, stream.Logs.Length);
            long acknowledged;
            lock (stream.Logs[shard].Gate)
            {
                acknowledged = stream.Logs[shard].NextSequence;
            }
            landed.TryGetValue(shard, out var checkpoint);
            proto.Shards.Add(new Shard
            {
                ShardId = ShardHash.ShardId(shard),
                StartingHashKey = start.ToString(),
                EndingHashKey = end.ToString(),
                AcknowledgedRecords = acknowledged,
                LandedRecords = checkpoint.Records,
                LandedParts = checkpoint.Parts,
            });
        }
        return proto;
    }

    private static StreamDescription ToProto(StoredStream stream) => new()
    {
        Name = stream.Name,
        ShardCount = stream.ShardCount,
        DestinationPrefix = stream.DestinationPrefix,
        Ruleset = stream.Ruleset ?? "",
        CreatedAt = Timestamp.FromDateTimeOffset(stream.CreatedAt),
    };

    private static string RequireStreamName(string name)
    {
        if (!SourceDefinitionParser.IsValidSourceName(name))
        {
            throw RichStatus.InvalidArgument($"name: '{name}' is not a stream name.", ("name", "must be a stream name: 1-63 lowercase letters, digits, '_' or '-'."));
        }
        return name;
    }
}
