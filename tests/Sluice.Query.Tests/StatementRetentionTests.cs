using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Query.Engines.DuckDb;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.Tests;

/// <summary>Retention of statements and results, on the manager with a clock the test moves.</summary>
public sealed class StatementRetentionTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sluice-query-retention", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task RemoveExpired_StatementOlderThanRetention_IsForgottenWithItsResult()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var options = Options.Create(new QueryOptions { DataDirectory = _directory, ResultRetention = TimeSpan.FromHours(24) });
        var engine = new DuckDbSqlEngine(options.Value.DuckDbDirectory);
        await (await engine.OpenOrCreateAsync("dev", CancellationToken.None)).DisposeAsync();
        using var manager = new StatementManager(engine, options, [], NullLogger<StatementManager>.Instance, clock);
        var statement = manager.Submit(new StatementSubmission("test", "dev", ["SELECT 1 AS one"], IsBatch: false, []));
        await WaitForEndAsync(statement);
        var resultFiles = Directory.GetFiles(options.Value.ResultsDirectory);

        clock.Now += TimeSpan.FromHours(23);
        var keptEarly = manager.RemoveExpired();
        clock.Now += TimeSpan.FromHours(2);
        var removed = manager.RemoveExpired();

        Assert.Equal(StatementStatus.Finished, statement.Status);
        Assert.Equal(0, keptEarly);
        Assert.Equal(1, removed);
        Assert.Equal(QueryErrorType.ResourceNotFoundException, Assert.Throws<QueryException>(() => manager.Get(statement.Id)).Type);
        Assert.Single(resultFiles);
        Assert.Empty(Directory.GetFiles(options.Value.ResultsDirectory));
    }

    [Fact]
    public async Task Submit_ResultOverTheSizeLimit_FailsWithAClearMessage()
    {
        var options = Options.Create(new QueryOptions { DataDirectory = _directory, MaxResultSizeBytes = 1000 });
        var engine = new DuckDbSqlEngine(options.Value.DuckDbDirectory);
        await (await engine.OpenOrCreateAsync("dev", CancellationToken.None)).DisposeAsync();
        using var manager = new StatementManager(engine, options, [], NullLogger<StatementManager>.Instance);

        var statement = manager.Submit(new StatementSubmission("test", "dev",
            ["SELECT range AS x, 'padding padding padding' FROM range(10000)"], IsBatch: false, []));
        await WaitForEndAsync(statement);

        Assert.Equal(StatementStatus.Failed, statement.Status);
        Assert.Contains("size limit of 1000 bytes", statement.Error, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was written.
        }
    }

    private static async Task WaitForEndAsync(Statement statement)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!statement.IsEnded)
        {
            await statement.WaitForChangeAsync(statement.Version, timeout.Token);
        }
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
