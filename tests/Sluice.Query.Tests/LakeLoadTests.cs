using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts.Messages;
using Sluice.ObjectStore;
using Sluice.ObjectStore.Tests.Infrastructure;
using Sluice.Query.V1;

namespace Sluice.Query.Tests;

/// <summary>
/// The pipeline's load step on DuckDB, driven by DatasetValidated on the query service's bus: the
/// job's landed parts become rows of the table named after the source through a load statement
/// (caller sluice-ingestion-load) that DescribeStatement and ListStatements show, and whose end
/// is answered with DatasetLoaded or DatasetLoadFailed carrying its id.
/// </summary>
public abstract class LakeLoadTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>Starts a DuckDB query service whose object store holds what the test lands.</summary>
    protected abstract Task<(QueryHost Host, IObjectStore Store)> StartAsync();

    [Fact]
    public async Task DatasetValidated_PassingJob_LoadedByAStatementDescribeShowsWithTheJobId()
    {
        var (host, store) = await StartAsync();
        await using var _ = host;
        await using var events = await LoadEvents.StartAsync(host);
        var source = "orders-" + Suffix();
        var job = await LandAsync(store, source, "2026-12-01", Records(1, 300, i => $"\"amount\":{i}.25,\"customer\":\"c{i % 7}\",\"address\":{{\"city\":\"x{i}\"}}"));

        var loaded = await events.LoadAsync(job);

        var table = source.Replace('-', '_');
        Assert.Equal((table, 300L), (loaded.Table, loaded.RowCount));
        var statement = await host.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = loaded.StatementId });
        Assert.Equal(StatementStatus.Finished, statement.Status);
        Assert.Equal("load-job-" + job.JobId, statement.StatementName);
        Assert.Contains(job.JobId, statement.QueryString, StringComparison.Ordinal);
        Assert.Contains($"CREATE TABLE IF NOT EXISTS \"{table}\"", statement.QueryString, StringComparison.Ordinal);
        var listed = await host.Client.ListStatementsAsync(new ListStatementsRequest { RoleLevel = true, StatementName = "load-job-" + job.JobId });
        Assert.Equal(loaded.StatementId, Assert.Single(listed.Statements).Id);
        Assert.Equal(["300", Sum(1, 300), "7", "x17"], await RowAsync(host, $"SELECT count(*), sum(id), count(DISTINCT customer), max(address ->> 'city') FILTER (WHERE id = 17) FROM {table}"));
        Assert.Equal(["int8", "float8", "varchar", "varchar", "date"], await TypesAsync(host, $"SELECT id, amount, customer, _job_id, ingest_date FROM {table} LIMIT 1"));
    }

    [Fact]
    public async Task SecondJob_NewFieldAndIntegralAmounts_AppendsKeepingTheTableTypes()
    {
        var (host, store) = await StartAsync();
        await using var _ = host;
        await using var events = await LoadEvents.StartAsync(host);
        var source = "appends-" + Suffix();
        var table = source.Replace('-', '_');
        var first = await LandAsync(store, source, "2026-12-01", Records(1, 200, i => $"\"amount\":{i}.5"));
        await events.LoadAsync(first);
        // Whole amounts DuckDB would type BIGINT on their own, and a field the table has not seen.
        var second = await LandAsync(store, source, "2026-12-02", Records(201, 350, i => $"\"amount\":{i},\"channel\":\"web\""));

        var loaded = await events.LoadAsync(second);

        Assert.Equal(150, loaded.RowCount);
        Assert.Equal(["350", Sum(1, 350), "150", "2"], await RowAsync(host, $"SELECT count(*), sum(id), count(channel), count(DISTINCT _job_id) FROM {table}"));
        Assert.Equal(["int8", "float8", "varchar"], await TypesAsync(host, $"SELECT id, amount, channel FROM {table} LIMIT 1"));
    }

    [Fact]
    public async Task ExistingTable_LakeDetectsOtherTypes_ValuesCastToTheTableTypes()
    {
        var (host, store) = await StartAsync();
        await using var _ = host;
        await using var events = await LoadEvents.StartAsync(host);
        var source = "existing-" + Suffix();
        var table = source.Replace('-', '_');
        // As the C# loader (or an operator) made it: text where the lake sees numbers, and the reverse.
        await host.Client.RunAsync("dev", $"CREATE TABLE {table} (_job_id TEXT, id BIGINT, code TEXT, score DOUBLE PRECISION, note TEXT)");
        var job = await LandAsync(store, source, "2026-12-01", Records(1, 40, i => $"\"code\":{i * 10},\"score\":\"{i}.5\",\"note\":{{\"n\":{i}}}"));

        var loaded = await events.LoadAsync(job);

        Assert.Equal(40, loaded.RowCount);
        Assert.Equal(["int8", "varchar", "float8", "varchar"], await TypesAsync(host, $"SELECT id, code, score, note FROM {table} LIMIT 1"));
        Assert.Equal(["40", "70", "3.5", "{\"n\":3}"], await RowAsync(host, $"SELECT count(*), max(code) FILTER (WHERE id = 7), CAST(max(score) FILTER (WHERE id = 3) AS VARCHAR), max(note) FILTER (WHERE id = 3) FROM {table}"));
    }

    [Fact]
    public async Task DatasetValidated_Redelivered_JobLoadedOnce()
    {
        var (host, store) = await StartAsync();
        await using var _ = host;
        await using var events = await LoadEvents.StartAsync(host);
        var source = "redelivered-" + Suffix();
        var table = source.Replace('-', '_');
        var job = await LandAsync(store, source, "2026-12-01", Records(1, 120, i => $"\"amount\":{i}.5"));

        var first = await events.LoadAsync(job);
        var again = await events.LoadAsync(job);

        Assert.NotEqual(first.StatementId, again.StatementId);
        Assert.Equal((120L, 120L), (first.RowCount, again.RowCount));
        Assert.Equal(["120", Sum(1, 120)], await RowAsync(host, $"SELECT count(*), sum(id) FROM {table}"));
    }

    [Fact]
    public async Task ValueThatDoesNotFit_DatasetLoadFailedNamingColumnAndJob_EarlierRowsKept()
    {
        var (host, store) = await StartAsync();
        await using var _ = host;
        await using var events = await LoadEvents.StartAsync(host);
        var source = "misfit-" + Suffix();
        var table = source.Replace('-', '_');
        await events.LoadAsync(await LandAsync(store, source, "2026-12-01", Records(1, 50, i => $"\"amount\":{i}.5")));
        var bad = await LandAsync(store, source, "2026-12-02", Records(51, 60, i => i == 55 ? "\"amount\":\"a lot\"" : $"\"amount\":{i}.5"));

        var failed = await events.FailAsync(bad);

        Assert.Contains("\"amount\"", failed.Error, StringComparison.Ordinal);
        Assert.Contains(bad.JobId, failed.Error, StringComparison.Ordinal);
        Assert.Contains("a lot", failed.Error, StringComparison.Ordinal);
        var statement = await host.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = failed.StatementId });
        Assert.Equal(StatementStatus.Failed, statement.Status);
        Assert.Equal(["50"], await RowAsync(host, $"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task DatasetValidated_KeyOfAnotherJob_FailsWithoutReadingIt()
    {
        var (host, store) = await StartAsync();
        await using var _ = host;
        await using var events = await LoadEvents.StartAsync(host);
        var source = "foreign-" + Suffix();
        var other = await LandAsync(store, source, "2026-12-01", Records(1, 10, i => "\"amount\":1"));
        var job = other with { JobId = Guid.NewGuid().ToString() };

        var failed = await events.FailAsync(job);

        Assert.Contains(other.Keys[0], failed.Error, StringComparison.Ordinal);
        Assert.Contains("is not a part of job " + job.JobId, failed.Error, StringComparison.Ordinal);
        Assert.Null(failed.StatementId);
    }

    private static string Suffix() => Guid.NewGuid().ToString("N")[..8];

    internal static string Sum(long from, long to) => ((from + to) * (to - from + 1) / 2).ToString(CultureInfo.InvariantCulture);

    internal static IEnumerable<string> Records(int from, int to, Func<int, string> fields) =>
        Enumerable.Range(from, to - from + 1).Select(i => $"{{\"id\":{i},{fields(i)}}}");

    /// <summary>Lands <paramref name="lines"/> as a new job's two parts, as the ingestion service lays them out.</summary>
    internal static async Task<LandedJob> LandAsync(IObjectStore store, string source, string date, IEnumerable<string> lines)
    {
        var jobId = Guid.NewGuid().ToString();
        var all = lines.ToList();
        var keys = new List<string>();
        foreach (var (part, index) in all.Chunk((all.Count + 1) / 2).Select((p, i) => (p, i)))
        {
            var key = $"raw/{source}/ingest_date={date}/{jobId}/part-{index:D5}.ndjson";
            using var content = new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", part) + "\n"));
            await store.PutAsync(key, content, "application/x-ndjson");
            keys.Add(key);
        }
        return new LandedJob(source, jobId, keys);
    }

    private static async Task<List<string>> RowAsync(QueryHost host, string sql)
    {
        var end = await host.Client.RunAsync("dev", sql);
        var page = await host.Client.GetStatementResultAsync(new GetStatementResultRequest { Id = end.Id });
        return Assert.Single(page.Records).Fields.Select(f => f.ValueCase switch
        {
            Field.ValueOneofCase.LongValue => f.LongValue.ToString(CultureInfo.InvariantCulture),
            _ => f.StringValue,
        }).ToList();
    }

    private static async Task<List<string>> TypesAsync(QueryHost host, string sql)
    {
        var end = await host.Client.RunAsync("dev", sql);
        var page = await host.Client.GetStatementResultAsync(new GetStatementResultRequest { Id = end.Id });
        return page.ColumnMetadata.Select(c => c.TypeName).ToList();
    }

    internal sealed record LandedJob(string Source, string JobId, IReadOnlyList<string> Keys);

    /// <summary>Publishes DatasetValidated on the host's bus and hands back the load's answer for the job.</summary>
    internal sealed class LoadEvents : IAsyncDisposable
    {
        private readonly IBusControl _bus;
        private readonly ConcurrentDictionary<string, List<TaskCompletionSource<object>>> _answers = new();
        private HostReceiveEndpointHandle _handle = null!;

        private LoadEvents(IBusControl bus) => _bus = bus;

        public static async Task<LoadEvents> StartAsync(QueryHost host)
        {
            var events = new LoadEvents(host.Services.GetRequiredService<IBusControl>());
            events._handle = events._bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), null, endpoint =>
            {
                endpoint.Handler<DatasetLoaded>(context => events.Answer(context.Message.JobId, context.Message));
                endpoint.Handler<DatasetLoadFailed>(context => events.Answer(context.Message.JobId, context.Message));
            });
            await events._handle.Ready.WaitAsync(Timeout);
            return events;
        }

        public async Task<DatasetLoaded> LoadAsync(LandedJob job) => await PublishAsync(job) switch
        {
            DatasetLoaded loaded => loaded,
            DatasetLoadFailed failed => throw new Xunit.Sdk.XunitException($"The load of job {job.JobId} failed: {failed.Error}"),
            var other => throw new InvalidOperationException(other.ToString()),
        };

        public async Task<DatasetLoadFailed> FailAsync(LandedJob job) => await PublishAsync(job) switch
        {
            DatasetLoadFailed failed => failed,
            var other => throw new Xunit.Sdk.XunitException($"Job {job.JobId} was expected to fail to load, but: {other}"),
        };

        private async Task<object> PublishAsync(LandedJob job)
        {
            var answer = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
            var waiting = _answers.GetOrAdd(job.JobId, _ => []);
            lock (waiting)
            {
                waiting.Add(answer);
            }
            await _bus.Publish(new DatasetValidated
            {
                JobId = job.JobId, Source = job.Source, Status = DatasetValidationStatus.Scored, Passed = true, Score = 1, EvaluatedAt = DateTimeOffset.UtcNow, ObjectKeys = job.Keys,
            });
            try
            {
                return await answer.Task.WaitAsync(Timeout);
            }
            catch (TimeoutException)
            {
                throw new Xunit.Sdk.XunitException($"Neither DatasetLoaded nor DatasetLoadFailed arrived for job {job.JobId} within {Timeout.TotalSeconds} s.");
            }
        }

        private Task Answer(string jobId, object message)
        {
            if (_answers.TryGetValue(jobId, out var waiting))
            {
                lock (waiting)
                {
                    // Loads of one job are answered in order: the oldest waiting publish gets this answer.
                    waiting.FirstOrDefault(w => !w.Task.IsCompleted)?.TrySetResult(message);
                }
            }
            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync() => await _handle.StopAsync();
    }
}

/// <summary>The load from a local directory store, read in place.</summary>
public sealed class LocalLakeLoadTests : LakeLoadTests, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sluice-query-lake-load", Guid.NewGuid().ToString("N"));

    protected override Task<(QueryHost Host, IObjectStore Store)> StartAsync() => LakeHosts.LocalAsync(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}

/// <summary>The load from an S3 bucket (fauxqs), through the lake cache.</summary>
public sealed class S3LakeLoadTests(FauxqsFixture fauxqs) : LakeLoadTests, IClassFixture<FauxqsFixture>
{
    protected override Task<(QueryHost Host, IObjectStore Store)> StartAsync() => LakeHosts.S3Async(fauxqs);
}
