using Grpc.Core;
using Sluice.Ingestion.V1;
using Sluice.Query.V1;

namespace Sluice.Ingestion.Tests;

/// <summary>
/// A push stream in the all-in-one host: acknowledged records land, the stream's ruleset validates
/// each landed part, and the query service loads them into the table named after the stream, where
/// SELECT count(*) equals the acknowledged records.
/// </summary>
public sealed class PushStreamPipelineTests : IAsyncLifetime
{
    private HostUnderTest _host = null!;
    private IngestionService.IngestionServiceClient _ingestion = null!;
    private QueryService.QueryServiceClient _query = null!;

    public async Task InitializeAsync()
    {
        var data = Path.Combine(Path.GetTempPath(), "sluice-ingestion-tests", Guid.NewGuid().ToString("N"));
        _host = await HostUnderTest.StartAsync(["--Sluice:Ingestion:DataDirectory=" + data, "--Logging:LogLevel:Default=Warning",
            "--Sluice:Ingestion:Streams:PartMaxAge=00:00:00", "--Sluice:Ingestion:Streams:FlushInterval=00:00:00.100",
            // Loads of parts that land at once run together, except into the same table.
            "--Sluice:Query:Loading:MaxConcurrentLoads=4"]);
        _ingestion = new IngestionService.IngestionServiceClient(_host.ChannelTo("Ingestion"));
        _query = new QueryService.QueryServiceClient(_host.ChannelTo("Query"));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task PushStream_WithRuleset_LandsValidatesAndLoadsEveryAcknowledgedRecordOnce()
    {
        // Each batch loaded before the next is pushed: the table grows by exactly that batch.
        await _ingestion.CreateStreamAsync(new CreateStreamRequest { Name = "clicks", ShardCount = 1, Ruleset = "Rules = [ IsComplete \"id\", IsUnique \"id\" ]" });
        long acknowledged = 0;
        for (var batch = 0; batch < 3; batch++)
        {
            var reply = await _ingestion.PutRecordsAsync(PushStreamTests.Batch("clicks", batch, 200, 40));
            Assert.Equal(0, reply.FailedRecordCount);
            acknowledged += reply.Records.Count;
            Assert.Equal(acknowledged, await LoadedAsync("clicks", acknowledged));
        }
    }

    [Fact]
    public async Task PushStream_FourShardsLandingAtOnce_EveryPartLoadedIntoTheOneTable()
    {
        // Parts of four shards land together and their loads run at once: the first ones race to
        // create the table, the rest to write it. None may be lost.
        await _ingestion.CreateStreamAsync(new CreateStreamRequest { Name = "taps", ShardCount = 4, Ruleset = "Rules = [ IsComplete \"id\" ]" });
        long acknowledged = 0;
        for (var batch = 0; batch < 3; batch++)
        {
            var reply = await _ingestion.PutRecordsAsync(PushStreamTests.Batch("taps", batch, 200, 40));
            Assert.Equal(0, reply.FailedRecordCount);
            acknowledged += reply.Records.Count;
        }

        Assert.Equal(acknowledged, await LoadedAsync("taps", acknowledged));
    }

    /// <summary>Rows in the table once it holds <paramref name="expected"/> (each landed part is validated and loaded on its own), or what it holds after a generous bound.</summary>
    private async Task<long> LoadedAsync(string table, long expected)
    {
        var until = DateTime.UtcNow.AddMinutes(2);
        long loaded = -1;
        while (DateTime.UtcNow < until)
        {
            var count = await QueryAsync($"SELECT count(*), count(DISTINCT id) FROM {table}");
            if (count.Status == StatementStatus.Finished)
            {
                var row = (await _query.GetStatementResultAsync(new GetStatementResultRequest { Id = count.Id })).Records[0];
                loaded = row.Fields[0].LongValue;
                Assert.Equal(loaded, row.Fields[1].LongValue);
                if (loaded >= expected)
                {
                    return loaded;
                }
            }
            await Task.Delay(200);
        }
        return loaded;
    }

    private async Task<DescribeStatementResponse> QueryAsync(string sql)
    {
        var id = (await _query.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = sql, Database = "dev" })).Id;
        using var watch = _query.WatchStatement(new WatchStatementRequest { Id = id }, deadline: DateTime.UtcNow.AddMinutes(1));
        DescribeStatementResponse last = null!;
        await foreach (var update in watch.ResponseStream.ReadAllAsync())
        {
            last = update.Statement;
        }
        return last;
    }
}
