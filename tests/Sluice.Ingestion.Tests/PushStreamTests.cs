using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using MassTransit;
using Sluice.Contracts.Messages;
using Sluice.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Tests;

/// <summary>
/// Push streams through the real gRPC service: per-record throttling at the shard limits (on an
/// injected clock), Kinesis's hash routing and per-shard order, exactly-once landing across a
/// restart between acknowledgement and landing, and the refusal of malformed batches.
/// </summary>
public sealed class PushStreamTests : IAsyncLifetime
{
    private const string Throttled = "ProvisionedThroughputExceededException";
    private static readonly BigInteger HashSpace = BigInteger.One << 128;

    private readonly TestDirectories _directories = new();
    private readonly ManualClock _clock = new();
    private IngestionHost _host = null!;

    public async Task InitializeAsync() => _host = await StartAsync(TimeSpan.FromMilliseconds(50));

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _directories.Dispose();
    }

    [Fact]
    public async Task PutRecords_BurstOverShardLimits_ThrottlesPerRecordAndLandsEveryAcknowledgedRecordOnce()
    {
        var client = _host.Client;
        await client.CreateStreamAsync(new CreateStreamRequest { Name = "burst", ShardCount = 1 });
        var acknowledged = new List<(string Sequence, string Line)>();

        // A shard admits 1,000 records in a second: two full batches pass, the third is refused record by record.
        for (var batch = 0; batch < 2; batch++)
        {
            var full = await client.PutRecordsAsync(Batch("burst", batch, 500, 80));
            Assert.Equal(0, full.FailedRecordCount);
            Collect(Batch("burst", batch, 500, 80), full, acknowledged);
        }
        var refused = await client.PutRecordsAsync(Batch("burst", 2, 500, 80));
        Assert.Equal(500, refused.FailedRecordCount);
        Assert.All(refused.Records, r => Assert.Equal(Throttled, r.ErrorCode));
        Assert.All(refused.Records, r => Assert.Empty(r.SequenceNumber));

        // A quarter of a second refills 250 records: the first 250 of the batch pass, the rest are throttled.
        _clock.Advance(TimeSpan.FromMilliseconds(250));
        var half = Batch("burst", 3, 500, 80);
        var partly = await client.PutRecordsAsync(half);
        Assert.Equal(250, partly.FailedRecordCount);
        Assert.All(partly.Records.Take(250), r => Assert.Equal("shardId-000000000000", r.ShardId));
        Assert.All(partly.Records.Skip(250), r => Assert.Equal(Throttled, r.ErrorCode));
        Collect(half, partly, acknowledged);

        // 1 MiB/s: ten records of 100 KiB pass, the eleventh and twelfth do not, and a small one after them does.
        _clock.Advance(TimeSpan.FromSeconds(1));
        var large = Batch("burst", 4, 12, 100 * 1024);
        large.Records.Add(Batch("burst", 5, 1, 80).Records[0]);
        var bytes = await client.PutRecordsAsync(large);
        Assert.Equal(2, bytes.FailedRecordCount);
        Assert.All(bytes.Records.Take(10), r => Assert.NotEmpty(r.SequenceNumber));
        Assert.Equal([Throttled, Throttled], bytes.Records.Skip(10).Take(2).Select(r => r.ErrorCode));
        Assert.NotEmpty(bytes.Records[12].SequenceNumber);
        Collect(large, bytes, acknowledged);

        var stream = await WaitLandedAsync(client, "burst");
        Assert.Equal(acknowledged.Count, stream.Shards.Single().AcknowledgedRecords);
        var landed = LandedLines("burst");
        Assert.Equal(acknowledged.OrderBy(a => a.Sequence, StringComparer.Ordinal).Select(a => a.Line), landed["shardId-000000000000"]);
        Assert.Equal(landed["shardId-000000000000"].Count, landed["shardId-000000000000"].Distinct().Count());
    }

    [Fact]
    public async Task PutRecordsStream_FourShards_RoutesByPartitionKeyMd5AndKeepsOrderPerShard()
    {
        var client = _host.Client;
        var created = (await client.CreateStreamAsync(new CreateStreamRequest { Name = "orders", ShardCount = 4 })).Stream;
        Assert.Equal(4, created.Shards.Count);
        Assert.Equal("0", created.Shards[0].StartingHashKey);
        Assert.Equal(((HashSpace / 4) - 1).ToString(CultureInfo.InvariantCulture), created.Shards[0].EndingHashKey);
        Assert.Equal((HashSpace / 4).ToString(CultureInfo.InvariantCulture), created.Shards[1].StartingHashKey);
        Assert.Equal((HashSpace - 1).ToString(CultureInfo.InvariantCulture), created.Shards[3].EndingHashKey);

        var sent = new List<PutRecordsRequest>();
        var replies = new List<PutRecordsResponse>();
        using (var call = client.PutRecordsStream(deadline: DateTime.UtcNow.AddMinutes(2)))
        {
            var reading = Task.Run(async () =>
            {
                await foreach (var reply in call.ResponseStream.ReadAllAsync())
                {
                    replies.Add(reply);
                }
            });
            for (var batch = 0; batch < 8; batch++)
            {
                var request = Batch("orders", batch, 250, 60);
                sent.Add(request);
                await call.RequestStream.WriteAsync(request);
            }
            // A record sent with an explicit hash key goes to the shard owning that hash, whatever its partition key.
            var pinned = Batch("orders", 8, 1, 60);
            pinned.Records[0].ExplicitHashKey = (HashSpace - 1).ToString(CultureInfo.InvariantCulture);
            sent.Add(pinned);
            await call.RequestStream.WriteAsync(pinned);
            await call.RequestStream.CompleteAsync();
            await reading;
        }

        Assert.Equal(sent.Count, replies.Count);
        Assert.Equal("shardId-000000000003", replies[^1].Records[0].ShardId);
        var perShard = new Dictionary<string, List<(string Sequence, string Line)>>();
        for (var b = 0; b < sent.Count - 1; b++)
        {
            Assert.Equal(0, replies[b].FailedRecordCount);
            for (var i = 0; i < sent[b].Records.Count; i++)
            {
                var record = sent[b].Records[i];
                var result = replies[b].Records[i];
                Assert.Equal(ExpectedShard(record.PartitionKey, 4), result.ShardId);
            }
        }
        var acknowledged = new List<(string Sequence, string Line)>();
        for (var b = 0; b < sent.Count; b++)
        {
            for (var i = 0; i < sent[b].Records.Count; i++)
            {
                var result = replies[b].Records[i];
                if (!perShard.TryGetValue(result.ShardId, out var list))
                {
                    perShard[result.ShardId] = list = [];
                }
                list.Add((result.SequenceNumber, sent[b].Records[i].Data.ToStringUtf8()));
            }
        }
        Assert.Equal(4, perShard.Count); // 2,000 keys spread over every shard.
        foreach (var (_, records) in perShard)
        {
            // Sequence numbers grow in the order the records were sent.
            Assert.Equal(records.Select(r => r.Sequence).Order(StringComparer.Ordinal), records.Select(r => r.Sequence));
        }

        await WaitLandedAsync(client, "orders");
        var landed = LandedLines("orders");
        foreach (var (shardId, records) in perShard)
        {
            Assert.Equal(records.Select(r => r.Line), landed[shardId]);
        }
    }

    [Fact]
    public async Task PutRecords_ServiceRestartedBetweenAcknowledgeAndLanding_LandsEveryRecordExactlyOnce()
    {
        // This host lands nothing while it runs (its flusher waits an hour after its first look).
        await _host.DisposeAsync();
        _host = await StartAsync(TimeSpan.FromHours(1));
        var client = _host.Client;
        await client.CreateStreamAsync(new CreateStreamRequest { Name = "restart", ShardCount = 2 });
        var acknowledged = new List<(string Shard, string Sequence, string Line)>();
        for (var batch = 0; batch < 3; batch++)
        {
            var request = Batch("restart", batch, 200, 100);
            var reply = await client.PutRecordsAsync(request);
            Assert.Equal(0, reply.FailedRecordCount);
            acknowledged.AddRange(reply.Records.Select((r, i) => (r.ShardId, r.SequenceNumber, request.Records[i].Data.ToStringUtf8())));
        }
        var before = (await client.DescribeStreamAsync(new DescribeStreamRequest { Name = "restart" })).Stream;
        Assert.Equal(600, before.Shards.Sum(s => s.AcknowledgedRecords));
        Assert.Equal(0, before.Shards.Sum(s => s.LandedRecords));
        await _host.DisposeAsync();
        Assert.False(Directory.Exists(Path.Combine(_directories.Objects, "raw", "restart")));

        _host = await StartAsync(TimeSpan.FromMilliseconds(50));
        client = _host.Client;
        // The restarted service goes on numbering where the acknowledged records stopped.
        var after = Batch("restart", 3, 200, 100);
        var afterReply = await client.PutRecordsAsync(after);
        Assert.Equal(0, afterReply.FailedRecordCount);
        acknowledged.AddRange(afterReply.Records.Select((r, i) => (r.ShardId, r.SequenceNumber, after.Records[i].Data.ToStringUtf8())));
        Assert.Equal(800, acknowledged.Select(a => a.Sequence).Distinct().Count());

        var stream = await WaitLandedAsync(client, "restart");
        Assert.Equal(800, stream.Shards.Sum(s => s.LandedRecords));
        var landed = LandedLines("restart");
        foreach (var shard in acknowledged.GroupBy(a => a.Shard))
        {
            Assert.Equal(shard.OrderBy(a => a.Sequence, StringComparer.Ordinal).Select(a => a.Line), landed[shard.Key]);
        }
        Assert.Equal(800, landed.Values.Sum(l => l.Count));
    }

    [Fact]
    public async Task PutRecords_MalformedBatch_RefusedWholeWithTheRecordAndFieldNamed()
    {
        var client = _host.Client;
        await client.CreateStreamAsync(new CreateStreamRequest { Name = "strict", ShardCount = 1 });

        Assert.Equal(["records"], await FieldsAsync(client.PutRecordsAsync(Batch("strict", 0, 501, 10))));
        Assert.Equal(["records"], await FieldsAsync(client.PutRecordsAsync(new PutRecordsRequest { StreamName = "strict" })));

        var mixed = Batch("strict", 1, 6, 10);
        mixed.Records[1].Data = ByteString.CopyFromUtf8("not json");
        mixed.Records[2].PartitionKey = "";
        mixed.Records[3].Data = ByteString.CopyFromUtf8("[1, 2]");
        mixed.Records[4].PartitionKey = new string('k', 257);
        mixed.Records[5].ExplicitHashKey = "12ab";
        Assert.Equal(["records[1].data", "records[2].partition_key", "records[3].data", "records[4].partition_key", "records[5].explicit_hash_key"],
            await FieldsAsync(client.PutRecordsAsync(mixed)));

        var tooLarge = Batch("strict", 2, 1, 1024 * 1024);
        Assert.Equal(["records[0].data"], await FieldsAsync(client.PutRecordsAsync(tooLarge)));

        // Nothing of a refused batch was taken.
        var described = (await client.DescribeStreamAsync(new DescribeStreamRequest { Name = "strict" })).Stream;
        Assert.Equal(0, described.Shards[0].AcknowledgedRecords);

        // In a long push, a malformed batch ends the call naming its index; the batches before it were answered.
        using (var call = client.PutRecordsStream())
        {
            await call.RequestStream.WriteAsync(Batch("strict", 3, 5, 10));
            var bad = Batch("strict", 4, 2, 10);
            bad.Records[1].PartitionKey = "";
            await call.RequestStream.WriteAsync(bad);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(0, call.ResponseStream.Current.FailedRecordCount);
            var ended = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.InvalidArgument, ended.StatusCode);
            Assert.Equal(["batch[1].records[1].partition_key"], ended.GetDetail<BadRequest>()!.FieldViolations.Select(v => v.Field));
        }

        var missing = await Assert.ThrowsAsync<RpcException>(() => client.PutRecordsAsync(Batch("nowhere", 0, 1, 10)).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Equal(["stream_name"], await FieldsAsync(client.PutRecordsAsync(Batch("Not A Name", 0, 1, 10))));
        Assert.Equal(["shard_count"], await FieldsAsync(client.CreateStreamAsync(new CreateStreamRequest { Name = "none", ShardCount = 0 })));
        Assert.Equal(["destination_prefix"], await FieldsAsync(client.CreateStreamAsync(new CreateStreamRequest { Name = "x", ShardCount = 1, DestinationPrefix = "../up" })));
        var duplicate = await Assert.ThrowsAsync<RpcException>(() => client.CreateStreamAsync(new CreateStreamRequest { Name = "strict", ShardCount = 2 }).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, duplicate.StatusCode);
    }

    [Fact]
    public async Task DeleteStream_WithRecordsNotYetLanded_LandsThemThenForgetsTheStream()
    {
        await _host.DisposeAsync();
        _host = await StartAsync(TimeSpan.FromHours(1));
        var client = _host.Client;
        await client.CreateStreamAsync(new CreateStreamRequest { Name = "brief", ShardCount = 3, DestinationPrefix = "raw/push" });
        await client.CreateStreamAsync(new CreateStreamRequest { Name = "other", ShardCount = 1 });
        var request = Batch("brief", 0, 300, 50);
        var reply = await client.PutRecordsAsync(request);
        Assert.Equal(0, reply.FailedRecordCount);
        var listed = await client.ListStreamsAsync(new ListStreamsRequest { PageSize = 1 });
        Assert.Equal("brief", listed.Streams.Single().Name);
        Assert.Equal("other", (await client.ListStreamsAsync(new ListStreamsRequest { PageToken = listed.NextPageToken })).Streams.Single().Name);

        await client.DeleteStreamAsync(new DeleteStreamRequest { Name = "brief" });

        var landed = LandedLines("brief", "raw/push");
        Assert.Equal(request.Records.Select(r => r.Data.ToStringUtf8()).Order(), landed.Values.SelectMany(l => l).Order());
        var gone = await Assert.ThrowsAsync<RpcException>(() => client.DescribeStreamAsync(new DescribeStreamRequest { Name = "brief" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
        Assert.Equal("other", (await client.ListStreamsAsync(new ListStreamsRequest())).Streams.Single().Name);
    }

    [Fact]
    public async Task PutRecords_DataOnOneLineOrPrettyPrinted_LandsEachRecordAsOneLineInOrder()
    {
        var client = _host.Client;
        await client.CreateStreamAsync(new CreateStreamRequest { Name = "shapes", ShardCount = 1 });
        string[] sent = ["{\"id\":1,\"tags\":[\"a\",\"b\"]}", "{\n  \"id\": 2,\r\n  \"note\": \"two\\nlines\"\n}", "{\"id\":3}"];
        var request = new PutRecordsRequest { StreamName = "shapes" };
        request.Records.AddRange(sent.Select(data => new PutRecordsRequestEntry { Data = ByteString.CopyFromUtf8(data), PartitionKey = "k" }));

        var reply = await client.PutRecordsAsync(request);

        Assert.Equal(0, reply.FailedRecordCount);
        await WaitLandedAsync(client, "shapes");
        var landed = Assert.Single(LandedLines("shapes").Values);
        Assert.Equal(["{\"id\":1,\"tags\":[\"a\",\"b\"]}", "{\"id\":2,\"note\":\"two\\nlines\"}", "{\"id\":3}"], landed);
    }

    [Fact]
    public async Task PutRecords_Landed_PublishesDatasetLandedForEveryPart()
    {
        var client = _host.Client;
        await client.CreateStreamAsync(new CreateStreamRequest { Name = "announced", ShardCount = 2 });
        long acknowledged = 0;
        for (var batch = 0; batch < 3; batch++)
        {
            var reply = await client.PutRecordsAsync(Batch("announced", batch, 300, 300));
            acknowledged += reply.Records.Count(r => r.SequenceNumber.Length > 0);
        }
        await WaitLandedAsync(client, "announced");
        var landedKeys = Directory.EnumerateFiles(Path.Combine(_directories.Objects, "raw", "announced"), "part-*.ndjson", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(_directories.Objects, path).Replace('\\', '/')).Order().ToList();

        // Announcements follow the checkpoint; wait for them within a generous bound.
        var announced = _host.Services.GetRequiredService<LandedAnnouncements>();
        var until = DateTime.UtcNow.AddMinutes(1);
        while (announced.For("announced").Sum(m => m.RecordCount) < acknowledged && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }
        var messages = announced.For("announced");
        Assert.Equal(acknowledged, messages.Sum(m => m.RecordCount));
        Assert.Equal(landedKeys, messages.SelectMany(m => m.ObjectKeys).Order());
        Assert.All(messages, m => Assert.True(Guid.TryParse(m.JobId, out _)));
        Assert.Equal(messages.Count, messages.Select(m => m.JobId).Distinct().Count());
    }

    private Task<IngestionHost> StartAsync(TimeSpan flushInterval) => IngestionHost.StartAsync(_directories, new Dictionary<string, string?>
    {
        ["Sluice:Ingestion:Streams:FlushInterval"] = flushInterval.ToString("c", CultureInfo.InvariantCulture),
        ["Sluice:Ingestion:Streams:PartMaxAge"] = "00:00:00",
        ["Sluice:Ingestion:Streams:PartBytes"] = "65536",
    }, builder =>
    {
        builder.Services.AddSingleton<TimeProvider>(_clock);
        builder.Services.AddSingleton<LandedAnnouncements>();
        builder.AddSluiceBusParticipant(bus => bus.AddConsumer<LandedAnnouncements.DatasetLandedRecorder>());
    });

    /// <summary>Records {"id":"{stream}-{batch}-{i}","pad":"..."} with partition keys spread over many values.</summary>
    internal static PutRecordsRequest Batch(string stream, int batch, int count, int padding)
    {
        var request = new PutRecordsRequest { StreamName = stream };
        var pad = new string('p', padding);
        for (var i = 0; i < count; i++)
        {
            request.Records.Add(new PutRecordsRequestEntry
            {
                Data = ByteString.CopyFromUtf8($"{{\"id\":\"{stream}-{batch}-{i}\",\"pad\":\"{pad}\"}}"),
                PartitionKey = $"customer-{batch * 7919 + i}",
            });
        }
        return request;
    }

    private static void Collect(PutRecordsRequest request, PutRecordsResponse response, List<(string Sequence, string Line)> acknowledged)
    {
        Assert.Equal(request.Records.Count, response.Records.Count);
        Assert.Equal(response.Records.Count(r => r.ErrorCode.Length > 0), response.FailedRecordCount);
        for (var i = 0; i < request.Records.Count; i++)
        {
            if (response.Records[i].SequenceNumber.Length > 0)
            {
                acknowledged.Add((response.Records[i].SequenceNumber, request.Records[i].Data.ToStringUtf8()));
            }
        }
    }

    /// <summary>Kinesis's routing, computed here independently: MD5 as a big-endian unsigned integer, shards splitting 2^128 evenly.</summary>
    private static string ExpectedShard(string partitionKey, int shards)
    {
        var hash = new BigInteger(MD5.HashData(Encoding.UTF8.GetBytes(partitionKey)), isUnsigned: true, isBigEndian: true);
        var shard = (int)BigInteger.Min(hash / (HashSpace / shards), shards - 1);
        return $"shardId-{shard:D12}";
    }

    /// <summary>Polls DescribeStream until every acknowledged record has landed (a generous bound for a loaded machine).</summary>
    internal static async Task<StreamDescription> WaitLandedAsync(IngestionService.IngestionServiceClient client, string name)
    {
        var until = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var stream = (await client.DescribeStreamAsync(new DescribeStreamRequest { Name = name })).Stream;
            if (stream.Shards.All(s => s.LandedRecords == s.AcknowledgedRecords))
            {
                return stream;
            }
            Assert.True(DateTime.UtcNow < until, $"stream {name} did not land: {stream}");
            await Task.Delay(50);
        }
    }

    /// <summary>The lake as a reader sees it: per shard (from the manifests), the landed lines in sequence order.</summary>
    private Dictionary<string, List<string>> LandedLines(string stream, string prefix = "raw") => LandedLines(_directories.Objects, stream, prefix);

    internal static Dictionary<string, List<string>> LandedLines(string objects, string stream, string prefix)
    {
        var parts = new List<(string Shard, string First, string Key, long Records)>();
        foreach (var path in Directory.EnumerateFiles(Path.Combine(objects, prefix, stream), "manifest.json", SearchOption.AllDirectories))
        {
            using var manifest = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = manifest.RootElement;
            var part = root.GetProperty("parts").EnumerateArray().Single();
            parts.Add((root.GetProperty("shardId").GetString()!, root.GetProperty("firstSequenceNumber").GetString()!, part.GetProperty("key").GetString()!, part.GetProperty("records").GetInt64()));
        }
        var lines = new Dictionary<string, List<string>>();
        foreach (var part in parts.OrderBy(p => p.First, StringComparer.Ordinal))
        {
            if (!lines.TryGetValue(part.Shard, out var list))
            {
                lines[part.Shard] = list = [];
            }
            var content = File.ReadAllLines(Path.Combine(objects, part.Key));
            Assert.Equal(part.Records, content.Length);
            list.AddRange(content);
        }
        return lines;
    }

    private static async Task<List<string>> FieldsAsync<T>(AsyncUnaryCall<T> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        return [.. error.GetDetail<BadRequest>()!.FieldViolations.Select(v => v.Field)];
    }

    /// <summary>The DatasetLanded messages seen on the bus.</summary>
    public sealed class LandedAnnouncements
    {
        private readonly List<DatasetLanded> _messages = [];

        public List<DatasetLanded> For(string source)
        {
            lock (_messages)
            {
                return [.. _messages.Where(m => m.Source == source)];
            }
        }

        public sealed class DatasetLandedRecorder(LandedAnnouncements seen) : IConsumer<DatasetLanded>
        {
            public Task Consume(ConsumeContext<DatasetLanded> context)
            {
                lock (seen._messages)
                {
                    seen._messages.Add(context.Message);
                }
                return Task.CompletedTask;
            }
        }
    }

    /// <summary>A clock the test moves by hand; timers (the flusher's ticks) still run on real time.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero).UtcTicks;

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);
    }
}
