using System.Globalization;
using Sluice.ObjectStore;
using Sluice.Query.V1;

namespace Sluice.Query.Tests;

/// <summary>
/// The load step on the PostgreSQL warehouse, which has no lake: the C# loader reads the job's
/// parts and inserts the rows in one transaction of its own (no load statement), creating the
/// table with types from the records and replacing the job's rows when its event comes again.
/// </summary>
public sealed class PostgresDatasetLoadTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sluice-query-pg-load", Guid.NewGuid().ToString("N"));
    private TestPostgresDatabase _database = null!;
    private QueryHost _host = null!;

    public async Task InitializeAsync()
    {
        _database = await TestPostgresDatabase.CreateAsync("sluice_load_");
        _host = await QueryHost.StartAsync(
            new Dictionary<string, string?> { ["Engine"] = "Postgres", ["PostgresConnectionString"] = TestPostgresDatabase.ServerConnectionString, ["Loading:Database"] = _database.Name },
            new Dictionary<string, string?> { ["Sluice:ObjectStore:LocalRoot"] = _root });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _database.DisposeAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task DatasetValidated_OnPostgres_LoadedByTheCSharpLoaderOnceWithoutAStatement()
    {
        await using var events = await LakeLoadTests.LoadEvents.StartAsync(_host);
        var store = new LocalDirectoryObjectStore(_root);
        var source = "pg-orders-" + Guid.NewGuid().ToString("N")[..8];
        var job = await LakeLoadTests.LandAsync(store, source, "2026-12-01", LakeLoadTests.Records(1, 80, i => $"\"amount\":{i}.5,\"paid\":{(i % 2 == 0 ? "true" : "false")}"));

        var first = await events.LoadAsync(job);
        var again = await events.LoadAsync(job);

        Assert.Null(first.StatementId);
        Assert.Equal((80L, 80L), (first.RowCount, again.RowCount));
        var end = await _host.Client.RunAsync(_database.Name, $"SELECT count(*), sum(id), count(*) FILTER (WHERE paid) FROM {source.Replace('-', '_')}");
        var row = Assert.Single((await _host.Client.GetStatementResultAsync(new GetStatementResultRequest { Id = end.Id })).Records);
        Assert.Equal(["80", LakeLoadTests.Sum(1, 80), "40"], row.Fields.Select(f => f.ValueCase == Field.ValueOneofCase.LongValue ? f.LongValue.ToString(CultureInfo.InvariantCulture) : f.StringValue));
    }
}
