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

    [Fact]
    public async Task PushStream_LandedPart_IsAJobThatWatchJobFollowsThroughThePipeline()
    {
        await _ingestion.CreateStreamAsync(new CreateStreamRequest { Name = "views", ShardCount = 1, Ruleset = "Rules = [ IsComplete \"id\" ]" });
        await _ingestion.CreateStreamAsync(new CreateStreamRequest { Name = "strict", ShardCount = 1, Ruleset = "Rules = [ RowCount > 1000 ]" });
        var views = await _ingestion.PutRecordsAsync(PushStreamTests.Batch("views", 0, 120, 40));
        var strict = await _ingestion.PutRecordsAsync(PushStreamTests.Batch("strict", 0, 30, 40));
        Assert.Equal(0, views.FailedRecordCount + strict.FailedRecordCount);

        var loaded = await WatchLandingAsync("views");
        Assert.Equal(JobTrigger.Stream, loaded.Trigger);
        Assert.Equal(JobPhase.Loaded, loaded.Phase);
        Assert.Equal("views", loaded.Table);
        Assert.Equal(120, loaded.Records);
        Assert.Single(loaded.PartKeys);

        var rejected = await WatchLandingAsync("strict");
        Assert.Equal(JobPhase.Rejected, rejected.Phase);
        Assert.Contains("The ruleset failed", rejected.Error);
    }

    /// <summary>Waits (bounded) for the stream's first landing to be listed as a job, then follows it with WatchJob to its end.</summary>
    private async Task<Job> WatchLandingAsync(string stream)
    {
        var until = DateTime.UtcNow.AddMinutes(2);
        Job? landing;
        while ((landing = (await _ingestion.ListJobsAsync(new ListJobsRequest { Source = stream })).Jobs.FirstOrDefault()) is null)
        {
            Assert.True(DateTime.UtcNow < until, $"stream {stream} landed nothing within two minutes");
            await Task.Delay(100);
        }
        var updates = await Jobs.WatchToEndAsync(_ingestion, landing.JobId);
        // Phases only move forward (landed, validated, then loaded or rejected); the watch may join late.
        Assert.Equal(updates.Select(u => u.Phase).Order(), updates.Select(u => u.Phase));
        return updates[^1];
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
