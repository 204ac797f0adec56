using Grpc.Core;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Tests;

/// <summary>
/// The ingestion service as its own process, killed with SIGKILL after acknowledging records and
/// before landing them, then started again on the same data directory: every acknowledged record
/// lands, in order per shard, exactly once.
/// </summary>
public sealed class PushStreamCrashTests : IDisposable
{
    private readonly TestDirectories _directories = new();

    public void Dispose() => _directories.Dispose();

    [Fact]
    public async Task PutRecordsStream_ServiceKilledBeforeLanding_AcknowledgedRecordsLandExactlyOnceAfterRestart()
    {
        var port = ServiceProcess.FreePort();
        var acknowledged = new List<(string Shard, string Sequence, string Line)>();
        using (var first = ServiceProcess.Start(_directories, port, new Dictionary<string, string>
        {
            // This run never lands: its flusher waits an hour after its first look.
            ["Sluice__Ingestion__Streams__FlushInterval"] = "01:00:00",
        }))
        {
            var client = await first.ConnectAsync();
            await client.CreateStreamAsync(new CreateStreamRequest { Name = "killed", ShardCount = 3 });
            var sent = new List<PutRecordsRequest>();
            var replies = new List<PutRecordsResponse>();
            using (var call = client.PutRecordsStream(deadline: DateTime.UtcNow.AddMinutes(2)))
            {
                for (var batch = 0; batch < 6; batch++)
                {
                    sent.Add(PushStreamTests.Batch("killed", batch, 250, 120));
                    await call.RequestStream.WriteAsync(sent[^1]);
                }
                await call.RequestStream.CompleteAsync();
                await foreach (var reply in call.ResponseStream.ReadAllAsync())
                {
                    replies.Add(reply);
                }
            }
            Assert.Equal(sent.Count, replies.Count);
            for (var b = 0; b < sent.Count; b++)
            {
                for (var i = 0; i < sent[b].Records.Count; i++)
                {
                    var result = replies[b].Records[i];
                    if (result.SequenceNumber.Length > 0)
                    {
                        acknowledged.Add((result.ShardId, result.SequenceNumber, sent[b].Records[i].Data.ToStringUtf8()));
                    }
                }
            }
            Assert.NotEmpty(acknowledged);
            first.Kill();
        }
        Assert.False(Directory.Exists(Path.Combine(_directories.Objects, "raw", "killed")));

        using var second = ServiceProcess.Start(_directories, port, new Dictionary<string, string>
        {
            ["Sluice__Ingestion__Streams__FlushInterval"] = "00:00:00.050",
            ["Sluice__Ingestion__Streams__PartMaxAge"] = "00:00:00",
        });
        var resumed = await second.ConnectAsync();
        var stream = await PushStreamTests.WaitLandedAsync(resumed, "killed");
        Assert.Equal(acknowledged.Count, stream.Shards.Sum(s => s.AcknowledgedRecords));
        var landed = PushStreamTests.LandedLines(_directories.Objects, "killed", "raw");
        foreach (var shard in acknowledged.GroupBy(a => a.Shard))
        {
            Assert.Equal(shard.OrderBy(a => a.Sequence, StringComparer.Ordinal).Select(a => a.Line), landed[shard.Key]);
        }
        Assert.Equal(acknowledged.Count, landed.Values.Sum(l => l.Count));
    }
}
