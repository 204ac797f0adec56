using Grpc.Core;
using Sluice.Query.V1;

namespace Sluice.Query.Tests;

/// <summary>A query service with small pages, so a result is many batches.</summary>
public sealed class SmallPagesFixture : IAsyncLifetime
{
    public QueryHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await QueryHost.StartAsync(new Dictionary<string, string?> { ["ResultPageRows"] = "100", ["DataApiPort"] = "-1" });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// StreamStatementResult on a statement that is still running: it follows the result as the statement writes it,
/// ends with the whole result, and ends with the statement's error when the statement stops first.
/// </summary>
public sealed class StreamFollowTests(SmallPagesFixture fixture) : IClassFixture<SmallPagesFixture>
{
    private QueryService.QueryServiceClient Client => fixture.Host.Client;

    private static CallOptions Deadline() => new(deadline: DateTime.UtcNow.AddMinutes(2));

    [Fact]
    public async Task StreamStatementResult_StatementStillWriting_RowsArriveBeforeItEndsThenCancelEndsTheStreamWithItsStatus()
    {
        // Far more rows than can be written while the test runs: the statement is still writing when rows arrive.
        var id = (await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT range AS n FROM range(2000000000)" })).Id;
        using var call = Client.StreamStatementResult(new StreamStatementResultRequest { Id = id }, Deadline());
        var stream = call.ResponseStream;

        Assert.True(await stream.MoveNext());
        var metadata = stream.Current.Metadata;
        Assert.True(await stream.MoveNext());
        var firstBatch = stream.Current.Batch;
        var whileStreaming = await Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id });
        await Client.CancelStatementAsync(new CancelStatementRequest { Id = id });
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await stream.MoveNext())
            {
            }
        });

        Assert.Equal(-1, metadata.TotalNumRows);
        Assert.Equal(["n"], metadata.ColumnMetadata.Select(c => c.Name));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), firstBatch.Records.Select(r => r.Fields[0].LongValue));
        Assert.Equal(StatementStatus.Started, whileStreaming.Status);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains($"statement '{id}' is ABORTED", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("not its whole result", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamStatementResult_OpenedRightAfterExecute_DeliversTheWholeResultInOrder()
    {
        var id = (await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT range AS n, 'row ' || range AS label FROM range(50000) ORDER BY n" })).Id;

        var rows = await ReadAllAsync(id);
        var end = await Client.WaitForEndAsync(id);
        var stored = await ReadAllAsync(id);

        Assert.Equal(StatementStatus.Finished, end.Status);
        Assert.Equal(Enumerable.Range(0, 50000).Select(i => (long)i), rows.Select(r => r.Fields[0].LongValue));
        Assert.Equal("row 49999", rows[^1].Fields[1].StringValue);
        Assert.Equal(rows, stored);
    }

    [Fact]
    public async Task StreamStatementResult_FollowerFallsBehindTheStatement_LaterBatchesComeFromTheFileAndMatchTheStoredResult()
    {
        // 10,000 batches of 100 rows: the statement is still writing when the stream opens. The follower reads one batch,
        // then stops until the statement has ended. What it read first was still in memory; the rest, far more than the
        // few batches kept there, comes from the result file.
        var id = (await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT range * 3 AS n FROM range(1000000) ORDER BY n" })).Id;
        using var call = Client.StreamStatementResult(new StreamStatementResultRequest { Id = id }, Deadline());
        var stream = call.ResponseStream;
        Assert.True(await stream.MoveNext());
        var metadata = stream.Current.Metadata;
        var followed = new List<long>();
        while (followed.Count == 0 && await stream.MoveNext())
        {
            followed.AddRange(stream.Current.Batch.Records.Select(r => r.Fields[0].LongValue));
        }

        var end = await Client.WaitForEndAsync(id);
        while (await stream.MoveNext())
        {
            followed.AddRange(stream.Current.Batch.Records.Select(r => r.Fields[0].LongValue));
        }
        var stored = (await ReadAllAsync(id)).Select(r => r.Fields[0].LongValue).ToList();

        Assert.Equal(-1, metadata.TotalNumRows);
        Assert.Equal(StatementStatus.Finished, end.Status);
        Assert.Equal(Enumerable.Range(0, 1000000).Select(i => i * 3L), followed);
        Assert.Equal(stored, followed);
    }

    [Fact]
    public async Task StreamStatementResult_SubStatementWaitingBehindAnEarlierOne_DeliversItsOwnRows()
    {
        var id = (await Client.BatchExecuteStatementAsync(new BatchExecuteStatementRequest
        {
            Database = "dev",
            Sqls = { "SELECT count(*) FROM range(3000) a, range(3000) b", "SELECT range AS n FROM range(1234)" },
        })).Id;

        var second = await ReadAllAsync(id + ":2");
        var first = await ReadAllAsync(id + ":1");

        Assert.Equal(Enumerable.Range(0, 1234).Select(i => (long)i), second.Select(r => r.Fields[0].LongValue));
        Assert.Equal(9_000_000, Assert.Single(first).Fields[0].LongValue);
    }

    [Fact]
    public async Task StreamStatementResult_StatementWithoutResultSet_NotFoundOnceItEnds()
    {
        var table = "follow_" + Guid.NewGuid().ToString("N")[..8];
        var id = (await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = $"CREATE TABLE {table} AS SELECT range AS n FROM range(10)" })).Id;

        var error = await Assert.ThrowsAsync<RpcException>(async () => await ReadAllAsync(id));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("returned no result set", error.Status.Detail, StringComparison.Ordinal);
    }

    private async Task<List<Sluice.Query.V1.Record>> ReadAllAsync(string id)
    {
        using var call = Client.StreamStatementResult(new StreamStatementResultRequest { Id = id }, Deadline());
        var rows = new List<Sluice.Query.V1.Record>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            if (message.PayloadCase == StreamStatementResultResponse.PayloadOneofCase.Batch)
            {
                rows.AddRange(message.Batch.Records);
            }
        }
        return rows;
    }
}
