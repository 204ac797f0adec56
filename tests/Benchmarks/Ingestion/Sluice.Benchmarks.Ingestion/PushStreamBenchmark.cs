using System.Globalization;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Sluice.Ingestion.V1;

namespace Sluice.Benchmarks.Ingestion;

/// <summary>
/// Push-stream throughput: records of about 1 KB sent as batches through PutRecordsStream into a
/// stream (acknowledged = fsync'd in the shard logs), against the raw gRPC rate of the very same
/// request messages sent over the same streaming call to a sink that only answers them.
/// Shard limits are lifted so the service, not the modelled Kinesis quota, is measured.
/// </summary>
internal static class PushStreamBenchmark
{
    public static async Task<(Measurement Raw, Measurement Push)> RunAsync(int records, int batchSize, int shards)
    {
        var filler = new string('x', 900);
        var batches = new List<PutRecordsRequest>();
        long payloadBytes = 0;
        for (var start = 0; start < records; start += batchSize)
        {
            var batch = new PutRecordsRequest { StreamName = "bench" };
            for (var i = start; i < Math.Min(records, start + batchSize); i++)
            {
                var data = ByteString.CopyFromUtf8($"{{\"id\":{i},\"name\":\"record-{i}\",\"amount\":{i * 0.5},\"payload\":\"{filler}\"}}");
                payloadBytes += data.Length;
                batch.Records.Add(new PutRecordsRequestEntry { Data = data, PartitionKey = "device-" + i.ToString(CultureInfo.InvariantCulture) });
            }
            batches.Add(batch);
        }
        Console.WriteLine($"push: {records:N0} records in {batches.Count:N0} batches of {batchSize}, {shards} shard(s)");

        // 1. The raw rate: the same messages over the same kind of call, to a sink that only answers them.
        var sink = WebApplication.CreateSlimBuilder();
        sink.Logging.ClearProviders();
        sink.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        sink.Services.AddGrpc(o => o.MaxReceiveMessageSize = 8 * 1024 * 1024);
        var sinkApp = sink.Build();
        sinkApp.MapGrpcService<SinkService>();
        await sinkApp.StartAsync();
        Measurement raw;
        try
        {
            var address = sinkApp.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            await PushAsync(address, batches.Take(20).ToList(), expectResults: false); // warm-up
            raw = await Measurement.OfAsync("raw gRPC streaming (sink)", async () =>
            {
                await PushAsync(address, batches, expectResults: false);
                return (records, payloadBytes);
            });
        }
        finally
        {
            await sinkApp.StopAsync();
        }

        // 2. The ingestion service: acknowledged means durable in the shard logs.
        await using var host = await IngestionHost.StartAsync(new Dictionary<string, string?>
        {
            ["Sluice:Ingestion:Streams:ShardRecordsPerSecond"] = "1000000000",
            ["Sluice:Ingestion:Streams:ShardBytesPerSecond"] = "1000000000000",
        });
        await host.Client.CreateStreamAsync(new CreateStreamRequest { Name = "bench", ShardCount = shards });
        var push = await Measurement.OfAsync("PutRecordsStream (acknowledged)", async () =>
        {
            await PushAsync(host.Address, batches, expectResults: true);
            return (records, payloadBytes);
        });
        return (raw, push);
    }

    /// <summary>Writes every batch on one PutRecordsStream call while a second task reads the replies; returns once the last reply is in.</summary>
    private static async Task PushAsync(string address, List<PutRecordsRequest> batches, bool expectResults)
    {
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxSendMessageSize = 8 * 1024 * 1024 });
        var client = new IngestionService.IngestionServiceClient(channel);
        using var call = client.PutRecordsStream();
        var reading = Task.Run(async () =>
        {
            var replies = 0;
            await foreach (var reply in call.ResponseStream.ReadAllAsync())
            {
                if (expectResults && (reply.FailedRecordCount != 0 || reply.Records.Count != batches[replies].Records.Count))
                {
                    throw new InvalidOperationException($"Batch {replies}: {reply.FailedRecordCount} records refused.");
                }
                replies++;
            }
            return replies;
        });
        foreach (var batch in batches)
        {
            await call.RequestStream.WriteAsync(batch);
        }
        await call.RequestStream.CompleteAsync();
        var answered = await reading;
        if (answered != batches.Count)
        {
            throw new InvalidOperationException($"{answered} replies for {batches.Count} batches.");
        }
    }

    /// <summary>The same contract, doing nothing but answering each batch.</summary>
    private sealed class SinkService : IngestionService.IngestionServiceBase
    {
        public override async Task PutRecordsStream(IAsyncStreamReader<PutRecordsRequest> requestStream, IServerStreamWriter<PutRecordsResponse> responseStream, ServerCallContext context)
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                await responseStream.WriteAsync(new PutRecordsResponse(), context.CancellationToken);
            }
        }
    }
}
