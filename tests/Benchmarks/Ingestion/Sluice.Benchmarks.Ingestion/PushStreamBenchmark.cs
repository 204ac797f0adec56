using System.Diagnostics;
using System.Globalization;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Sluice.Ingestion;
using Sluice.Ingestion.V1;
using Sluice.ServiceDefaults;

namespace Sluice.Benchmarks.Ingestion;

/// <summary>
/// Push-stream throughput: N records of about 1 KB sent as batches through PutRecordsStream into a
/// stream (acknowledged = fsync'd in the shard logs), against the raw gRPC rate of the very same
/// request messages sent over the same bidirectional call to a sink that only counts them.
/// Shard limits are lifted so the service, not the modelled Kinesis quota, is measured.
/// </summary>
internal static class PushStreamBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var records = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
        var batchSize = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500;
        var shards = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 4;
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
        Console.WriteLine($"push: {records:N0} records of ~1 KB in {batches.Count:N0} batches of {batchSize}, {shards} shard(s)");

        // 1. The raw rate: the same messages over the same kind of call, to a sink that only counts them.
        var sink = WebApplication.CreateSlimBuilder();
        sink.Logging.ClearProviders();
        sink.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        sink.Services.AddGrpc(o => o.MaxReceiveMessageSize = 8 * 1024 * 1024);
        var sinkApp = sink.Build();
        sinkApp.MapGrpcService<SinkService>();
        await sinkApp.StartAsync();
        double rawRate;
        try
        {
            var elapsed = await PushAsync(Address(sinkApp), batches, expectResults: false);
            rawRate = Report("raw gRPC streaming", records, payloadBytes, elapsed);
        }
        finally
        {
            await sinkApp.StopAsync();
        }

        // 2. The ingestion service: acknowledged means durable in the shard logs.
        var root = Path.Combine(Path.GetTempPath(), "sluice-push-benchmark", Guid.NewGuid().ToString("N"));
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Sluice:Ingestion:DataDirectory"] = Path.Combine(root, "data"),
            ["Sluice:ObjectStore:LocalRoot"] = Path.Combine(root, "objects"),
            ["Sluice:Ingestion:Streams:ShardRecordsPerSecond"] = "1000000000",
            ["Sluice:Ingestion:Streams:ShardBytesPerSecond"] = "1000000000000",
        });
        builder.WebHost.ConfigureKestrel(k => k.ListenGrpc(IPAddress.Loopback, 0));
        builder.AddIngestionService();
        builder.AddSluiceBus();
        var app = builder.Build();
        app.MapIngestionService();
        await app.StartAsync();
        try
        {
            using var channel = GrpcChannel.ForAddress(Address(app));
            var client = new IngestionService.IngestionServiceClient(channel);
            await client.CreateStreamAsync(new CreateStreamRequest { Name = "bench", ShardCount = shards });
            var elapsed = await PushAsync(Address(app), batches, expectResults: true);
            var pushRate = Report("PutRecordsStream (acked)", records, payloadBytes, elapsed);
            Console.WriteLine($"ratio push / raw: {pushRate / rawRate:0.00}x");

            // Landing follows in the background; the time until the lake holds everything, for the record.
            var landing = Stopwatch.StartNew();
            while (true)
            {
                var stream = (await client.DescribeStreamAsync(new DescribeStreamRequest { Name = "bench" })).Stream;
                if (stream.Shards.Sum(s => s.LandedRecords) == records)
                {
                    Console.WriteLine($"landed in the lake {landing.Elapsed.TotalSeconds:0.00} s after the last acknowledgement ({stream.Shards.Sum(s => s.LandedParts)} parts; parts close at 8 MiB or 30 s)");
                    break;
                }
                await Task.Delay(100);
            }
        }
        finally
        {
            await app.StopAsync();
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Writes every batch on one PutRecordsStream call while a second task reads the replies; returns the time until the last reply.</summary>
    private static async Task<TimeSpan> PushAsync(string address, List<PutRecordsRequest> batches, bool expectResults)
    {
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxSendMessageSize = 8 * 1024 * 1024 });
        var client = new IngestionService.IngestionServiceClient(channel);
        var watch = Stopwatch.StartNew();
        using var call = client.PutRecordsStream();
        var reading = Task.Run(async () =>
        {
            long replies = 0;
            await foreach (var reply in call.ResponseStream.ReadAllAsync())
            {
                if (expectResults && (reply.FailedRecordCount != 0 || reply.Records.Count != batches[(int)replies].Records.Count))
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
        watch.Stop();
        if (answered != batches.Count)
        {
            throw new InvalidOperationException($"{answered} replies for {batches.Count} batches.");
        }
        return watch.Elapsed;
    }

    private static string Address(WebApplication app) => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

    private static double Report(string what, long records, long bytes, TimeSpan elapsed)
    {
        var rate = records / elapsed.TotalSeconds;
        Console.WriteLine($"{what,-26} {elapsed.TotalSeconds,8:0.00} s  {rate,12:N0} records/s  {bytes / elapsed.TotalSeconds / 1048576,8:0.0} MiB/s");
        return rate;
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
