using System.Globalization;
using System.Net;
using System.Text.Json;
using Grpc.Core;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Contracts.Messages;
using Sluice.Ingestion.V1;
using Sluice.ObjectStore.Tests.Infrastructure;
using Sluice.Query.V1;

namespace Sluice.Host.Tests;

/// <summary>
/// The pipeline in the all-in-one host on DuckDB: source -> job -> landed -> validated -> loaded
/// by a load statement reading the job's parts from the lake, then SELECT count(*) through the
/// query service. The load statement is found by its name (load-job-{jobId}) and described; a
/// second job appends; a redelivered DatasetValidated loads once; a failing ruleset stops before
/// the load; a value that does not fit its column fails the job naming the column.
/// </summary>
public abstract class LoadPipelineTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly string _ingestionData = Path.Combine(Path.GetTempPath(), "sluice-host-load-tests", Guid.NewGuid().ToString("N"));
    private RecordsApi _api = null!;
    private HostUnderTest _host = null!;
    private IngestionService.IngestionServiceClient _ingestion = null!;
    private QueryService.QueryServiceClient _query = null!;

    /// <summary>The object store settings of the host (the lake the ingestion service lands in and the query service reads).</summary>
    protected abstract IEnumerable<string> StoreSettings();

    public async Task InitializeAsync()
    {
        _api = await RecordsApi.StartAsync();
        _host = await HostUnderTest.StartAsync([.. StoreSettings(), "--Sluice:Ingestion:DataDirectory=" + _ingestionData, "--Logging:LogLevel:Default=Warning"]);
        _ingestion = new IngestionService.IngestionServiceClient(_host.ChannelTo("Ingestion"));
        _query = new QueryService.QueryServiceClient(_host.ChannelTo("Query"));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _api.DisposeAsync();
        if (Directory.Exists(_ingestionData))
        {
            Directory.Delete(_ingestionData, recursive: true);
        }
    }

    [Fact]
    public async Task Pipeline_TwoJobs_EachLoadedByADescribedStatementAndCounted()
    {
        var source = await CreateSourceAsync("Rules = [ IsComplete \"id\", IsUnique \"id\" ]");
        _api.Serve(Records(1, 400));

        var first = await RunJobAsync(source);
        _api.Serve(Records(401, 650));
        var second = await RunJobAsync(source);

        var table = source.Replace('-', '_');
        Assert.Equal(table, first.Table);
        foreach (var (job, rows) in new[] { (first, 400L), (second, 250L) })
        {
            var statement = await LoadStatementAsync(job.JobId);
            Assert.Equal(StatementStatus.Finished, statement.Status);
            Assert.Equal("load-job-" + job.JobId, statement.StatementName);
            Assert.Contains(job.JobId, statement.QueryString, StringComparison.Ordinal);
            Assert.Equal(rows, statement.SubStatements[^1].ResultRows);
        }
        Assert.Equal(["650", Sum(1, 650), "2"], await RowAsync($"SELECT count(*), sum(id), count(DISTINCT _job_id) FROM {table}"));
    }

    [Fact]
    public async Task Pipeline_DatasetValidatedRedelivered_JobLoadedOnce()
    {
        var source = await CreateSourceAsync("Rules = [ IsComplete \"id\" ]");
        _api.Serve(Records(1, 300));
        var job = await RunJobAsync(source);

        // The same event again, as a broker redelivers it after a lost acknowledgement.
        await _host.App.Services.GetRequiredService<IBus>().Publish(new DatasetValidated
        {
            JobId = job.JobId, Source = source, Status = DatasetValidationStatus.Scored, Passed = true, Score = 1, RowCount = 300,
            EvaluatedAt = DateTimeOffset.UtcNow, ObjectKeys = [.. job.PartKeys],
        });
        var loads = await LoadStatementsAsync(job.JobId, count: 2);

        Assert.All(loads, s => Assert.Equal(StatementStatus.Finished, s.Status));
        Assert.Equal(["300", Sum(1, 300)], await RowAsync($"SELECT count(*), sum(id) FROM {source.Replace('-', '_')}"));
    }

    [Fact]
    public async Task Pipeline_FailingRuleset_StopsBeforeTheLoad()
    {
        var source = await CreateSourceAsync("Rules = [ RowCount > 5000 ]");
        _api.Serve(Records(1, 100));

        var job = await RunJobAsync(source, JobPhase.Rejected);

        Assert.Contains("RowCount > 5000", job.Error, StringComparison.Ordinal);
        var listed = await _query.ListStatementsAsync(new ListStatementsRequest { RoleLevel = true, StatementName = "load-job-" + job.JobId });
        Assert.Empty(listed.Statements);
        var tables = await _query.ListTablesAsync(new ListTablesRequest { Database = "dev", TablePattern = source.Replace('-', '_') });
        Assert.Empty(tables.Tables);
    }

    [Fact]
    public async Task Pipeline_ValueThatDoesNotFitItsColumn_JobFailsNamingTheColumn()
    {
        var source = await CreateSourceAsync("Rules = [ IsComplete \"id\" ]");
        _api.Serve(Records(1, 100));
        await RunJobAsync(source);
        _api.Serve(Records(101, 150).Select(r => r.Id == 120 ? r with { Amount = "unknown" } : r));

        var job = await RunJobAsync(source, JobPhase.Failed);

        Assert.Contains("\"amount\"", job.Error, StringComparison.Ordinal);
        Assert.Contains(job.JobId, job.Error, StringComparison.Ordinal);
        Assert.Equal(StatementStatus.Failed, (await LoadStatementAsync(job.JobId)).Status);
        Assert.Equal(["100"], await RowAsync($"SELECT count(*) FROM {source.Replace('-', '_')}"));
    }

    private async Task<string> CreateSourceAsync(string ruleset)
    {
        var name = "shop-" + Guid.NewGuid().ToString("N")[..8];
        await _ingestion.CreateSourceAsync(new CreateSourceRequest
        {
            Name = name,
            Definition = $$"""
                baseUrl: {{_api.BaseUrl}}
                path: /records
                pagination: { type: none }
                rateLimit: { requestsPerSecond: 0 }
                ruleset: '{{ruleset}}'
                """,
        });
        return name;
    }

    /// <summary>Starts a job and follows it to its end, which must be <paramref name="phase"/>.</summary>
    private async Task<Job> RunJobAsync(string source, JobPhase phase = JobPhase.Loaded)
    {
        var jobId = (await _ingestion.StartIngestionAsync(new StartIngestionRequest { Source = source })).JobId;
        Job last = null!;
        using var watch = _ingestion.WatchJob(new WatchJobRequest { JobId = jobId }, deadline: DateTime.UtcNow + Timeout);
        await foreach (var update in watch.ResponseStream.ReadAllAsync())
        {
            last = update.Job;
        }
        Assert.True(last.Phase == phase, $"Job {jobId} ended {last.Phase}, not {phase}: {last.Error}");
        return last;
    }

    private async Task<DescribeStatementResponse> LoadStatementAsync(string jobId) => Assert.Single(await LoadStatementsAsync(jobId, count: 1));

    /// <summary>Waits (bounded) until <paramref name="count"/> load statements of the job have ended, and describes them.</summary>
    private async Task<List<DescribeStatementResponse>> LoadStatementsAsync(string jobId, int count)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            var listed = await _query.ListStatementsAsync(new ListStatementsRequest { RoleLevel = true, StatementName = "load-job-" + jobId });
            var described = new List<DescribeStatementResponse>();
            foreach (var statement in listed.Statements)
            {
                described.Add(await _query.DescribeStatementAsync(new DescribeStatementRequest { Id = statement.Id }));
            }
            if (described.Count(s => s.Status is StatementStatus.Finished or StatementStatus.Failed or StatementStatus.Aborted) >= count)
            {
                Assert.Equal(count, described.Count);
                return described;
            }
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"{count} load statement(s) of job {jobId} did not end within {Timeout.TotalSeconds} s; listed: {string.Join(", ", described.Select(s => s.Status))}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    private async Task<List<string>> RowAsync(string sql)
    {
        var id = (await _query.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = sql, Database = "dev" })).Id;
        using var watch = _query.WatchStatement(new WatchStatementRequest { Id = id }, deadline: DateTime.UtcNow + Timeout);
        DescribeStatementResponse last = null!;
        await foreach (var update in watch.ResponseStream.ReadAllAsync())
        {
            last = update.Statement;
        }
        Assert.True(last.Status == StatementStatus.Finished, $"{sql}: {last.Status} {last.Error}");
        var page = await _query.GetStatementResultAsync(new GetStatementResultRequest { Id = id });
        return Assert.Single(page.Records).Fields.Select(f => f.ValueCase == Field.ValueOneofCase.LongValue ? f.LongValue.ToString(CultureInfo.InvariantCulture) : f.StringValue).ToList();
    }

    private static string Sum(long from, long to) => ((from + to) * (to - from + 1) / 2).ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<ApiRecord> Records(int from, int to) =>
        Enumerable.Range(from, to - from + 1).Select(i => new ApiRecord(i, Math.Round(i * 1.25, 2), "customer-" + (i % 11)));

    /// <summary>One record of the test API; Amount is an object so that a test can serve a value of another type.</summary>
    private sealed record ApiRecord(long Id, object Amount, string Name);

    /// <summary>A REST API on loopback serving, at GET /records, the records the test last gave it as one JSON array.</summary>
    private sealed class RecordsApi : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private volatile string _body = "[]";

        private RecordsApi(WebApplication app) => _app = app;

        public string BaseUrl => _app.Urls.First();

        public static async Task<RecordsApi> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var api = new RecordsApi(app);
            app.MapGet("/records", () => Results.Text(api._body, "application/json"));
            await app.StartAsync();
            return api;
        }

        public void Serve(IEnumerable<ApiRecord> records) =>
            _body = JsonSerializer.Serialize(records.Select(r => new Dictionary<string, object> { ["id"] = r.Id, ["amount"] = r.Amount, ["name"] = r.Name }));

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}

/// <summary>The pipeline on the embedded profile's store: a local directory the query service reads in place.</summary>
public sealed class LocalLoadPipelineTests : LoadPipelineTests
{
    protected override IEnumerable<string> StoreSettings() => [];
}

/// <summary>The pipeline on an S3-compatible store (fauxqs): the ingestion service lands parts there, the query service reads them through its lake cache.</summary>
public sealed class S3LoadPipelineTests(FauxqsFixture fauxqs) : LoadPipelineTests, IClassFixture<FauxqsFixture>
{
    protected override IEnumerable<string> StoreSettings()
    {
        var s3 = fauxqs.CreateOptions();
        return
        [
            "--Sluice:ObjectStore:Provider=S3", "--Sluice:ObjectStore:S3:Bucket=" + s3.Bucket, "--Sluice:ObjectStore:S3:Prefix=" + s3.Prefix,
            "--Sluice:ObjectStore:S3:ServiceUrl=" + s3.ServiceUrl, "--Sluice:ObjectStore:S3:Region=" + s3.Region, "--Sluice:ObjectStore:S3:AccessKey=" + s3.AccessKey,
            "--Sluice:ObjectStore:S3:SecretKey=" + s3.SecretKey, "--Sluice:ObjectStore:S3:ForcePathStyle=true",
        ];
    }
}
