using Sluice.Validation.Storage;

namespace Sluice.Validation.Tests;

/// <summary>The SQLite registry store, constructed directly.</summary>
public sealed class SqliteValidationStoreTests : IDisposable
{
    private readonly TestDirectories _directories = new();

    public void Dispose() => _directories.Dispose();

    [Fact]
    public async Task AddSchemaAsync_ManyConcurrentRegistrationsOfOneName_AssignsVersionsOneToNWithoutGaps()
    {
        using var store = new SqliteValidationStore(Path.Combine(_directories.Data, "validation.db"));

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() =>
            store.AddSchemaAsync("orders", version: null, $$"""{"title":"v{{i}}"}""", DateTimeOffset.UtcNow, CancellationToken.None))));
        var listed = await store.ListSchemasAsync("orders", after: null, limit: 100, CancellationToken.None);

        Assert.All(results, r => Assert.True(r.Created));
        Assert.Equal(Enumerable.Range(1, 40), results.Select(r => r.Schema.Version).Order());
        Assert.Equal(Enumerable.Range(1, 40), listed.Select(s => s.Version));
    }

    [Fact]
    public async Task GetRulesetAsync_AfterReopeningTheFile_ReturnsEveryVersion()
    {
        var path = Path.Combine(_directories.Data, "validation.db");
        using (var store = new SqliteValidationStore(path))
        {
            await store.AddRulesetAsync("orders", "Rules = [ RowCount > 0 ]", 1, new Dictionary<string, string>(), new Dictionary<string, Sluice.Validation.References.WarehouseTableName>(), DateTimeOffset.UtcNow, CancellationToken.None);
            await store.AddRulesetAsync("orders", "Rules = [ RowCount > 1 ]", 1, new Dictionary<string, string>(), new Dictionary<string, Sluice.Validation.References.WarehouseTableName>(), DateTimeOffset.UtcNow, CancellationToken.None);
        }

        using var reopened = new SqliteValidationStore(path);
        var current = await reopened.GetRulesetAsync("orders", version: null, CancellationToken.None);
        var first = await reopened.GetRulesetAsync("orders", version: 1, CancellationToken.None);
        var none = await reopened.GetRulesetAsync("payments", version: null, CancellationToken.None);

        Assert.Equal(2, current!.Version);
        Assert.Equal("Rules = [ RowCount > 1 ]", current.RulesetText);
        Assert.Equal("Rules = [ RowCount > 0 ]", first!.RulesetText);
        Assert.Null(none);
    }
}
