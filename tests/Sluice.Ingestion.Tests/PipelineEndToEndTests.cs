using Grpc.Core;
using Sluice.Ingestion.V1;
using Sluice.Query.V1;

namespace Sluice.Ingestion.Tests;

/// <summary>
/// The pipeline in the all-in-one host: source -> job -> landed -> validated -> loaded, then
/// SELECT count(*) through the query service's gRPC; and a failing ruleset that stops the load.
/// </summary>
public sealed class PipelineEndToEndTests : IAsyncLifetime
{
    private TestApiServer _api = null!;
    private HostUnderTest _host = null!;
    private IngestionService.IngestionServiceClient _ingestion = null!;
    private QueryService.QueryServiceClient _query = null!;

    public async Task InitializeAsync()
    {
        _api = await TestApiServer.StartAsync(1000);
        var data = Path.Combine(Path.GetTempPath(), "sluice-ingestion-tests", Guid.NewGuid().ToString("N"));
        _host = await HostUnderTest.StartAsync(["--Sluice:Ingestion:DataDirectory=" + data, "--Logging:LogLevel:Default=Warning"]);
        _ingestion = new IngestionService.IngestionServiceClient(_host.ChannelTo("Ingestion"));
        _query = new QueryService.QueryServiceClient(_host.ChannelTo("Query"));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _api.DisposeAsync();
    }

    private string Definition(string ruleset) => $$"""
        baseUrl: {{_api.BaseUrl}}
        path: /v1/customers
        pagination: { type: cursor, cursorParam: starting_after, cursorField: id, hasMorePath: has_more, sizeParam: limit, pageSize: 100 }
        recordsPath: data
        rateLimit: { requestsPerSecond: 0 }
        ruleset: '{{ruleset}}'
        """;

    private async Task<List<Job>> RunAsync(string source, string ruleset)
    {
        await _ingestion.CreateSourceAsync(new CreateSourceRequest { Name = source, Definition = Definition(ruleset) });
        var jobId = (await _ingestion.StartIngestionAsync(new StartIngestionRequest { Source = source })).JobId;
        return await Jobs.WatchToEndAsync(_ingestion, jobId);
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

    [Fact]
    public async Task Pipeline_PassingRuleset_LandsValidatesLoadsAndCounts()
    {
        var updates = await RunAsync("shop-customers", "Rules = [ RowCount = 1000, IsComplete \"id\", IsUnique \"id\" ]");

        var final = updates[^1];
        Assert.True(final.Phase == JobPhase.Loaded, $"{final.Phase}: {final.Error}");
        Assert.Equal("shop_customers", final.Table);
        var phases = updates.Select(u => u.Phase).Distinct().ToList();
        Assert.Equal([JobPhase.Fetching, JobPhase.Landed, JobPhase.Validated, JobPhase.Loaded], phases.Where(p => p != JobPhase.Queued));

        var count = await QueryAsync("SELECT count(*) FROM shop_customers");
        Assert.True(count.Status == StatementStatus.Finished, count.Error);
        var result = await _query.GetStatementResultAsync(new GetStatementResultRequest { Id = count.Id });
        Assert.Equal(_api.Records.Count, result.Records[0].Fields[0].LongValue);

        var sum = await QueryAsync("SELECT sum(id), max(amount) FROM shop_customers");
        var row = (await _query.GetStatementResultAsync(new GetStatementResultRequest { Id = sum.Id })).Records[0];
        // As on Redshift, SUM over an int8 column is numeric, which the Data API sends as exact text.
        Assert.Equal(_api.Records.Sum(r => r.Id).ToString(System.Globalization.CultureInfo.InvariantCulture), row.Fields[0].StringValue);
        Assert.Equal(_api.Records.Max(r => r.Amount), row.Fields[1].DoubleValue);
    }

    [Fact]
    public async Task Pipeline_FailingRuleset_StopsBeforeTheLoadAndSaysWhy()
    {
        var updates = await RunAsync("shop-refused", "Rules = [ RowCount > 5000 ]");

        var final = updates[^1];
        Assert.Equal(JobPhase.Rejected, final.Phase);
        Assert.Contains("RowCount > 5000", final.Error);
        Assert.DoesNotContain(updates, u => u.Phase == JobPhase.Loaded);
        var tables = await _query.ListTablesAsync(new ListTablesRequest { Database = "dev", TablePattern = "shop_refused" });
        Assert.Empty(tables.Tables);
    }
}
