using System.Globalization;
using System.Text;
using Sluice.ObjectStore;
using Sluice.ObjectStore.Tests.Infrastructure;
using Sluice.Query.V1;

namespace Sluice.Query.Tests;

/// <summary>
/// The lake queried in place on DuckDB: NDJSON parts landed in the raw zone, as the ingestion
/// service writes them, are the table lake.&lt;source&gt; with the partition column ingest_date;
/// a CREATE TABLE ... AS SELECT from it loads the warehouse.
/// </summary>
public abstract class LakeTests
{
    private static readonly string[] Dates = ["2026-11-20", "2026-11-21", "2026-11-22"];

    /// <summary>Starts a DuckDB query service whose object store holds what <see cref="LandAsync"/> wrote.</summary>
    protected abstract Task<(QueryHost Host, IObjectStore Store)> StartAsync();

    [Fact]
    public async Task LakeTable_PartitionFilterThenCtas_CountsAndChecksumsMatchTheLandedParts()
    {
        var (host, store) = await StartAsync();
        await using var _ = host;
        var source = "orders_" + Guid.NewGuid().ToString("N")[..8];
        var rows = await LandAsync(store, source);
        var day = rows.Where(r => r.Date == "2026-11-21").ToList();
        const string Checksum = "SELECT count(*) AS n, sum(id) AS ids, sum(CAST(amount AS NUMERIC(14,2))) AS total, count(DISTINCT customer) AS customers FROM ";

        var inPlace = await host.Client.RunAsync("dev", Checksum + $"lake.{source} WHERE ingest_date = DATE '2026-11-21'");
        var inPlaceRow = await SingleRowAsync(host, inPlace.Id);
        var loaded = await host.Client.RunAsync("dev", $"CREATE TABLE {source}_nov21 AS SELECT * FROM lake.{source} WHERE ingest_date = '2026-11-21'");
        var warehouseRow = await SingleRowAsync(host, (await host.Client.RunAsync("dev", Checksum + $"{source}_nov21")).Id);
        var all = await SingleRowAsync(host, (await host.Client.RunAsync("dev", $"SELECT count(*), min(ingest_date), max(ingest_date) FROM lake.{source}")).Id);

        string[] expected =
        [
            day.Count.ToString(CultureInfo.InvariantCulture),
            day.Sum(r => r.Id).ToString(CultureInfo.InvariantCulture),
            day.Sum(r => r.Amount).ToString("F2", CultureInfo.InvariantCulture),
            day.Select(r => r.Customer).Distinct().Count().ToString(CultureInfo.InvariantCulture),
        ];
        Assert.Equal(expected, inPlaceRow);
        Assert.Equal(expected, warehouseRow);
        Assert.Equal(StatementStatus.Finished, loaded.Status);
        Assert.Equal([rows.Count.ToString(CultureInfo.InvariantCulture), Dates[0], Dates[^1]], all);
    }

    [Fact]
    public async Task DescribeStatement_LakeTableWithPartitionColumn_TypedColumns()
    {
        var (host, store) = await StartAsync();
        await using var _ = host;
        var source = "typed_" + Guid.NewGuid().ToString("N")[..8];
        await LandAsync(store, source);

        var end = await host.Client.RunAsync("dev", $"SELECT id, customer, ingest_date FROM lake.{source} ORDER BY id LIMIT 1");
        var page = await host.Client.GetStatementResultAsync(new GetStatementResultRequest { Id = end.Id });

        Assert.Equal(["int8", "varchar", "date"], page.ColumnMetadata.Select(c => c.TypeName));
        Assert.Equal("2026-11-20", page.Records[0].Fields[2].StringValue);
    }

    [Fact]
    public async Task ManyStatementsAtOnce_EachAttachesTheLakeAndFinishes()
    {
        // Every statement's connection attaches the lake; DuckDB shares attached catalogs between
        // the connections of one database, so attaching at once must not race.
        var (host, store) = await StartAsync();
        await using var _ = host;
        var source = "burst_" + Guid.NewGuid().ToString("N")[..8];
        var rows = await LandAsync(store, source);

        var ends = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => host.Client.RunAsync("dev", $"SELECT count(*) + {i} FROM lake.{source}")));

        var counts = await Task.WhenAll(ends.Select(end => SingleRowAsync(host, end.Id)));
        Assert.Equal(Enumerable.Range(0, 32).Select(i => (rows.Count + i).ToString(CultureInfo.InvariantCulture)), counts.Select(c => Assert.Single(c)));
    }

    [Fact]
    public async Task LakeChangesBetweenStatements_NewDatasetIsATableAndOneWhosePartsAreGoneIsNot()
    {
        // The database's DuckDB instance stays open between statements with the lake attached, and
        // a statement re-attaches only when the lake's datasets have changed: both changes must show.
        var (host, store) = await StartAsync();
        await using var _ = host;
        var before = await host.Client.RunAsync("dev", "SELECT 1");
        var source = "later_" + Guid.NewGuid().ToString("N")[..8];
        var rows = await LandAsync(store, source);

        var landed = await SingleRowAsync(host, (await host.Client.RunAsync("dev", $"SELECT count(*) FROM lake.{source}")).Id);
        await foreach (var part in store.ListAsync($"raw/{source}/"))
        {
            await store.DeleteAsync(part.Key);
        }
        var gone = await host.Client.WaitForEndAsync((await host.Client.ExecuteStatementAsync(
            new ExecuteStatementRequest { Database = "dev", Sql = $"SELECT count(*) FROM lake.{source}" })).Id);

        Assert.Equal(StatementStatus.Finished, before.Status);
        Assert.Equal([rows.Count.ToString(CultureInfo.InvariantCulture)], landed);
        Assert.Equal(StatementStatus.Failed, gone.Status);
        Assert.Contains($"Table with name {source} does not exist", gone.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteStatement_FileOutsideTheLake_IsRefused()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;

        var accepted = await host.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT * FROM read_csv('/etc/passwd')" });
        var end = await host.Client.WaitForEndAsync(accepted.Id);

        Assert.Equal(StatementStatus.Failed, end.Status);
        Assert.Contains("/etc/passwd", end.Error, StringComparison.Ordinal);
        Assert.StartsWith("ERROR: ", end.Error, StringComparison.Ordinal);
    }

    /// <summary>
    /// Lands three days of two jobs with two parts each under raw/{source}/ingest_date=.../{jobId}/,
    /// and returns every row landed. The second job adds a field the first has not.
    /// </summary>
    private static async Task<List<(long Id, string Date, decimal Amount, string Customer)>> LandAsync(IObjectStore store, string source)
    {
        var rows = new List<(long Id, string Date, decimal Amount, string Customer)>();
        var id = 0L;
        foreach (var date in Dates)
        {
            for (var job = 0; job < 2; job++)
            {
                var jobId = Guid.NewGuid().ToString();
                for (var part = 0; part < 2; part++)
                {
                    var text = new StringBuilder();
                    for (var i = 0; i < 150; i++)
                    {
                        id++;
                        var amount = (id * 7919 % 100000) / 100m;
                        var customer = "c" + (id % 37).ToString(CultureInfo.InvariantCulture);
                        rows.Add((id, date, amount, customer));
                        text.Append(CultureInfo.InvariantCulture, $"{{\"id\":{id},\"amount\":{amount.ToString(CultureInfo.InvariantCulture)},\"customer\":\"{customer}\"");
                        text.Append(job == 1 ? ",\"channel\":\"web\"}\n" : "}\n");
                    }
                    using var content = new MemoryStream(Encoding.UTF8.GetBytes(text.ToString()));
                    await store.PutAsync($"raw/{source}/ingest_date={date}/{jobId}/part-{part:D5}.ndjson", content, "application/x-ndjson");
                }
            }
        }
        return rows;
    }

    private static async Task<List<string>> SingleRowAsync(QueryHost host, string id)
    {
        var page = await host.Client.GetStatementResultAsync(new GetStatementResultRequest { Id = id });
        return Assert.Single(page.Records).Fields.Select(f => f.ValueCase switch
        {
            Field.ValueOneofCase.LongValue => f.LongValue.ToString(CultureInfo.InvariantCulture),
            _ => f.StringValue,
        }).ToList();
    }
}

/// <summary>The lake in a local directory store, read in place.</summary>
public sealed class LocalLakeTests : LakeTests, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sluice-query-lake", Guid.NewGuid().ToString("N"));

    protected override Task<(QueryHost Host, IObjectStore Store)> StartAsync() => LakeHosts.LocalAsync(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}

/// <summary>The lake in an S3 bucket (fauxqs), read through the object store.</summary>
public sealed class S3LakeTests(FauxqsFixture fauxqs) : LakeTests, IClassFixture<FauxqsFixture>
{
    protected override Task<(QueryHost Host, IObjectStore Store)> StartAsync() => LakeHosts.S3Async(fauxqs);
}
