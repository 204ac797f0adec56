using System.Security.Cryptography;
using System.Text.Json;
using Sluice.Ingestion.V1;
using Sluice.ObjectStore.Tests.Infrastructure;

namespace Sluice.Ingestion.Tests;

/// <summary>
/// The Parquet copy in the curated zone, read back with Parquet.Net and with DuckDB (an independent
/// reader): the same records as the source, with column types that later runs keep.
/// </summary>
public sealed class CuratedZoneTests : IAsyncLifetime
{
    private readonly TestDirectories _directories = new();
    private IngestionHost _host = null!;
    private TestApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _api = await TestApiServer.StartAsync(2000);
        _host = await IngestionHost.StartAsync(_directories, new Dictionary<string, string?> { ["Sluice:Ingestion:PartBytes"] = "32768" });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _api.DisposeAsync();
        _directories.Dispose();
    }

    internal static string CustomersDefinition(string baseUrl) =>
        $"baseUrl: {baseUrl}\npath: /v1/customers\npagination: {{ type: cursor, cursorParam: starting_after, cursorField: id, hasMorePath: has_more, sizeParam: limit, pageSize: 100 }}\nrecordsPath: data\nrateLimit: {{ requestsPerSecond: 0 }}\ncurated: {{ prefix: curated }}\n";

    private async Task<Job> RunAsync(string source)
    {
        var jobId = (await _host.Client.StartIngestionAsync(new StartIngestionRequest { Source = source })).JobId;
        var job = (await Jobs.WatchToEndAsync(_host.Client, jobId))[^1];
        Assert.True(job.State == JobState.Succeeded, job.Error);
        return job;
    }

    private string LocalPath(string key) => Path.Combine(_directories.Objects, key);

    [Fact]
    public async Task CuratedCopy_LocalStore_HoldsTheSourceRecordsWithInferredTypes()
    {
        await _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "curated-customers", Definition = CustomersDefinition(_api.BaseUrl) });

        var job = await RunAsync("curated-customers");

        Assert.True(job.PartKeys.Count > 1, "several parts, so several Parquet files");
        Assert.Equal(job.PartKeys.Count, job.CuratedPartKeys.Count);
        for (var i = 0; i < job.PartKeys.Count; i++)
        {
            Assert.Equal($"curated/curated-customers/ingest_date={job.CreatedAt.ToDateTime():yyyy-MM-dd}/{job.JobId}/part-{i:D5}.parquet", job.CuratedPartKeys[i]);
        }
        var paths = job.CuratedPartKeys.Select(LocalPath).ToList();
        await AssertCuratedCopyAsync(paths, _api.Records);
        AssertManifestLists(await File.ReadAllBytesAsync(LocalPath(job.ManifestKey)), job.CuratedPartKeys, key => File.ReadAllBytes(LocalPath(key)));
        // The zone is a Hive-partitioned table to a query engine: one glob, ingest_date from the folders.
        var glob = Path.Combine(_directories.Objects, "curated", "curated-customers", "*", "*", "*.parquet");
        Assert.Equal([[job.CreatedAt.ToDateTime().Date, (long)_api.Records.Count]],
            ParquetFiles.Query($"SELECT ingest_date::TIMESTAMP, count(*) FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY ALL", []));

        var source = (await _host.Client.GetSourceAsync(new GetSourceRequest { Name = "curated-customers" })).Source;
        Assert.Equal("""[{"name":"id","type":"Int64"},{"name":"name","type":"String"},{"name":"amount","type":"Double"},{"name":"updated_at","type":"Int64"}]""", source.CuratedSchemaJson);
    }

    /// <summary>Checks the files with both readers against the records, in order, and their column types.</summary>
    internal static async Task AssertCuratedCopyAsync(IReadOnlyList<string> paths, IReadOnlyList<ApiRecord> expected)
    {
        var rows = new List<Dictionary<string, object?>>();
        foreach (var path in paths)
        {
            var (columns, fileRows) = await ParquetFiles.ReadAsync(path);
            Assert.Equal([("id", typeof(long)), ("name", typeof(string)), ("amount", typeof(double)), ("updated_at", typeof(long)), ("_sluice_rescued", typeof(string))], columns);
            rows.AddRange(fileRows);
        }
        Assert.Equal(expected.Count, rows.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Id, rows[i]["id"]);
            Assert.Equal(expected[i].Name, rows[i]["name"]);
            Assert.Equal(expected[i].Amount, rows[i]["amount"]);
            Assert.Equal(expected[i].UpdatedAt, rows[i]["updated_at"]);
            Assert.Null(rows[i]["_sluice_rescued"]);
        }

        Assert.Equal(["id BIGINT", "name VARCHAR", "amount DOUBLE", "updated_at BIGINT", "_sluice_rescued VARCHAR"], ParquetFiles.DuckDbTypes(paths));
        var duck = ParquetFiles.Query("SELECT id, name, amount, updated_at, _sluice_rescued FROM {files} ORDER BY id", paths);
        Assert.Equal(expected.Select(r => new object?[] { r.Id, r.Name, r.Amount, r.UpdatedAt, null }), duck);
    }

    /// <summary>The manifest lists each curated part with its size and the SHA-256 of what the store holds.</summary>
    internal static void AssertManifestLists(byte[] manifestJson, IReadOnlyList<string> curatedKeys, Func<string, byte[]> read)
    {
        using var manifest = JsonDocument.Parse(manifestJson);
        var listed = manifest.RootElement.GetProperty("curatedParts").EnumerateArray().ToList();
        Assert.Equal(curatedKeys, listed.Select(p => p.GetProperty("key").GetString()));
        foreach (var part in listed)
        {
            var bytes = read(part.GetProperty("key").GetString()!);
            Assert.Equal(bytes.Length, part.GetProperty("bytes").GetInt64());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), part.GetProperty("sha256").GetString());
        }
        Assert.Equal(manifest.RootElement.GetProperty("records").GetInt64(), listed.Sum(p => p.GetProperty("records").GetInt64()));
    }

    /// <summary>A row as text with each value's type, so a value of the wrong type shows.</summary>
    private static string Describe(object?[] row) => string.Join(" | ", row.Select(v => v is null ? "null" : $"{v.GetType().Name}:{v}"));

    [Fact]
    public async Task CuratedCopy_LaterRunWithNewFieldsAndChangedTypes_KeepsEarlierColumnTypes()
    {
        await _host.Client.CreateSourceAsync(new CreateSourceRequest
        {
            Name = "documents",
            Definition = $"baseUrl: {_api.BaseUrl}\npath: /documents\nrecordsPath: data\nrateLimit: {{ requestsPerSecond: 0 }}\ncurated: {{}}\n",
        });
        _api.DocumentsJson = """
            [{"id":1,"name":"a","score":10,"tags":["x","y"],"meta":{"k":1},"note":null,"flag":true},
             {"id":2,"name":"b","score":20,"tags":[],"meta":{"k":2},"note":null,"flag":false}]
            """;
        var first = await RunAsync("documents");
        _api.DocumentsJson = """
            [{"id":3,"name":7,"score":2.5,"tags":"solo","meta":{"k":3},"note":"now text","flag":"yes","extra":1.25,"ID":9},
             "not an object"]
            """;
        var second = await RunAsync("documents");

        // The second run's own file: earlier columns keep their types; new fields add columns at the end.
        var (columns, rows) = await ParquetFiles.ReadAsync(LocalPath(second.CuratedPartKeys.Single()));
        Assert.Equal([("id", typeof(long)), ("name", typeof(string)), ("score", typeof(long)), ("tags", typeof(string)), ("meta", typeof(string)),
            ("flag", typeof(bool)), ("note", typeof(string)), ("extra", typeof(double)), ("_sluice_rescued", typeof(string))], columns);
        Assert.Equal(3L, rows[0]["id"]);
        Assert.Equal("7", rows[0]["name"]); // A number in a string column: its JSON text.
        Assert.Null(rows[0]["score"]); // 2.5 does not fit Int64: rescued, not widened.
        Assert.Equal("\"solo\"", rows[0]["tags"]); // A Json column holds any value's JSON text.
        Assert.Equal("""{"k":3}""", rows[0]["meta"]);
        Assert.Null(rows[0]["flag"]);
        Assert.Equal("now text", rows[0]["note"]); // Only nulls before: typed by its first value.
        Assert.Equal(1.25, rows[0]["extra"]);
        Assert.Equal("""{"score":2.5,"flag":"yes","ID":9}""", rows[0]["_sluice_rescued"]); // ID differs from id only by case.
        Assert.All(columns.SkipLast(1), c => Assert.Null(rows[1][c.Name]));
        Assert.Equal("\"not an object\"", rows[1]["_sluice_rescued"]);

        // Both runs read together by DuckDB: one type per column, every value where it was.
        var paths = new[] { first, second }.Select(j => LocalPath(j.CuratedPartKeys.Single())).ToList();
        Assert.Equal(["id BIGINT", "name VARCHAR", "score BIGINT", "tags VARCHAR", "meta VARCHAR", "flag BOOLEAN", "_sluice_rescued VARCHAR", "note VARCHAR", "extra DOUBLE"],
            ParquetFiles.DuckDbTypes(paths));
        var all = ParquetFiles.Query("SELECT id, name, score, tags, meta, flag, note, extra, _sluice_rescued FROM {files} ORDER BY id NULLS LAST", paths);
        object?[][] expected =
        [
            [1L, "a", 10L, """["x","y"]""", """{"k":1}""", true, null, null, null],
            [2L, "b", 20L, "[]", """{"k":2}""", false, null, null, null],
            [3L, "7", null, "\"solo\"", """{"k":3}""", null, "now text", 1.25, """{"score":2.5,"flag":"yes","ID":9}"""],
            [null, null, null, null, null, null, null, null, "\"not an object\""],
        ];
        Assert.Equal(string.Join("\n", expected.Select(Describe)), string.Join("\n", all.Select(Describe)));

        var source = (await _host.Client.GetSourceAsync(new GetSourceRequest { Name = "documents" })).Source;
        Assert.Equal(
            """[{"name":"id","type":"Int64"},{"name":"name","type":"String"},{"name":"score","type":"Int64"},{"name":"tags","type":"Json"},{"name":"meta","type":"Json"},{"name":"flag","type":"Boolean"},{"name":"note","type":"String"},{"name":"extra","type":"Double"}]""",
            source.CuratedSchemaJson);
    }
}

/// <summary>The curated copy on the durable profile's store: fauxqs S3, read back from the bucket with the AWS SDK.</summary>
public sealed class S3CuratedZoneTests(FauxqsFixture fauxqs) : IClassFixture<FauxqsFixture>, IAsyncLifetime
{
    private readonly TestDirectories _directories = new();
    private IngestionHost _host = null!;
    private TestApiServer _api = null!;
    private string _prefix = "";

    public async Task InitializeAsync()
    {
        _api = await TestApiServer.StartAsync(1500);
        var s3 = fauxqs.CreateOptions();
        _prefix = s3.Prefix!;
        _host = await IngestionHost.StartAsync(_directories, IngestionHost.S3Settings(s3, new Dictionary<string, string?> { ["Sluice:Ingestion:PartBytes"] = "32768" }));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _api.DisposeAsync();
        _directories.Dispose();
    }

    [Fact]
    public async Task CuratedCopy_OnS3_HoldsTheSourceRecords()
    {
        await _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "s3-curated", Definition = CuratedZoneTests.CustomersDefinition(_api.BaseUrl) });
        var jobId = (await _host.Client.StartIngestionAsync(new StartIngestionRequest { Source = "s3-curated" })).JobId;
        var job = (await Jobs.WatchToEndAsync(_host.Client, jobId))[^1];
        Assert.True(job.State == JobState.Succeeded, job.Error);
        Assert.Equal(job.PartKeys.Count, job.CuratedPartKeys.Count);

        using var s3 = fauxqs.CreateClient();
        var downloaded = new Dictionary<string, byte[]>();
        foreach (var key in job.CuratedPartKeys.Append(job.ManifestKey))
        {
            using var response = await s3.GetObjectAsync(FauxqsFixture.Bucket, $"{_prefix}/{key}");
            using var copy = new MemoryStream();
            await response.ResponseStream.CopyToAsync(copy);
            downloaded[key] = copy.ToArray();
        }
        var paths = new List<string>();
        foreach (var key in job.CuratedPartKeys)
        {
            var path = Path.Combine(_directories.Root, $"{paths.Count}.parquet");
            await File.WriteAllBytesAsync(path, downloaded[key]);
            paths.Add(path);
        }
        await CuratedZoneTests.AssertCuratedCopyAsync(paths, _api.Records);
        CuratedZoneTests.AssertManifestLists(downloaded[job.ManifestKey], job.CuratedPartKeys, key => downloaded[key]);
    }
}
