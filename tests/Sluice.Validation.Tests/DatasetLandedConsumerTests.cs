using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts.Messages;
using Sluice.ObjectStore;
using Sluice.Validation.CustomSql;
using Sluice.Validation.Messaging;
using Sluice.Validation.Rulesets;
using Sluice.Validation.Storage;

namespace Sluice.Validation.Tests;

/// <summary>The DatasetLanded consumer on MassTransit's test harness, with an object store that fails on purpose.</summary>
public sealed class DatasetLandedConsumerTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly TestDirectories _directories = new();

    public void Dispose() => _directories.Dispose();

    [Fact]
    public async Task Consume_ObjectStoreFailsTwiceThenRecovers_RetriesAndPublishesTheScorecard()
    {
        var objects = new FlakyObjectStore(new LocalDirectoryObjectStore(_directories.Objects), failures: 2);
        await using var provider = await StartHarnessAsync(objects, retryLimit: 3);
        var harness = provider.GetRequiredService<ITestHarness>();
        var keys = await OrdersDataset.WritePartsAsync(objects, "orders", "job-1");
        await RegisterOrdersRulesetAsync(provider);

        await harness.Bus.Publish(Landed("job-1", keys));
        var validated = await AnswerOfAsync(harness, "job-1");

        Assert.Equal(DatasetValidationStatus.Scored, validated.Status);
        Assert.Equal(OrdersDataset.ExpectedScore, validated.Score!.Value, 1e-9);
        // The first two opens failed (the evaluator's or the CustomSql copy's); the attempt that read every part
        // scored the CustomSql rule on the data, not as an Error about the unreachable store.
        Assert.Equal(2, objects.FailedOpens);
        Assert.Equal(DatasetRuleOutcome.Failed, validated.Rules[5].Outcome);
        Assert.Equal(1, validated.Rules[5].Metrics["Dataset.*.CustomSQL"]);
    }

    [Fact]
    public async Task Consume_ObjectStoreKeepsFailing_PublishesErrorAfterTheLastRetry()
    {
        var objects = new FlakyObjectStore(new LocalDirectoryObjectStore(_directories.Objects), failures: int.MaxValue);
        await using var provider = await StartHarnessAsync(objects, retryLimit: 2);
        var harness = provider.GetRequiredService<ITestHarness>();
        // Without CustomSql each attempt opens the part exactly once (a CustomSql copy would open it too).
        await provider.GetRequiredService<RulesetRegistry>().RegisterAsync("orders", "Rules = [ RowCount > 0 ]", CancellationToken.None);

        await harness.Bus.Publish(Landed("job-2", ["raw/orders/ingest_date=2026-11-21/job-2/part-00000.ndjson"]));
        var validated = await AnswerOfAsync(harness, "job-2");

        Assert.Equal(DatasetValidationStatus.Error, validated.Status);
        Assert.False(validated.Passed);
        Assert.Contains("object store unreachable", validated.Error, StringComparison.Ordinal);
        Assert.Equal(3, objects.FailedOpens); // The first attempt and two retries.
    }

    [Fact]
    public async Task Consume_PartsReadableOnlyOnce_CopyForCustomSqlFailingIsRetriedNotScoredAsError()
    {
        // Either the evaluator or the CustomSql copy gets each part; the other's open fails. A copy that cannot read
        // the store must fail the evaluation (and so be retried), never publish a scorecard with CustomSql in Error.
        var objects = new ReadableOnceObjectStore(new LocalDirectoryObjectStore(_directories.Objects));
        await using var provider = await StartHarnessAsync(objects, retryLimit: 1);
        var harness = provider.GetRequiredService<ITestHarness>();
        var keys = await OrdersDataset.WritePartsAsync(objects, "orders", "job-3");
        await RegisterOrdersRulesetAsync(provider);

        await harness.Bus.Publish(Landed("job-3", keys));
        var validated = await AnswerOfAsync(harness, "job-3");

        Assert.Equal(DatasetValidationStatus.Error, validated.Status);
        Assert.Empty(validated.Rules);
        Assert.Contains("already read", validated.Error, StringComparison.Ordinal);
    }

    private async Task<ServiceProvider> StartHarnessAsync(IObjectStore objects, int retryLimit)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOptions<ValidationOptions>().Configure(options =>
        {
            options.EvaluationRetryLimit = retryLimit;
            options.EvaluationRetryInterval = TimeSpan.FromMilliseconds(20);
        });
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(objects);
        services.AddSingleton<IValidationStore>(_ => new SqliteValidationStore(Path.Combine(_directories.Data, "validation.db")));
        services.AddSingleton<RulesetRegistry>();
        services.AddSingleton<MetricHistory>();
        // No query service here: a reference table would be an error of its rule, as in a validation service without one.
        services.AddGrpcClient<Sluice.Query.V1.QueryService.QueryServiceClient>(Sluice.Validation.References.WarehouseTableReader.ClientName);
        services.AddSingleton<Sluice.Validation.References.WarehouseTableReader>();
        services.AddSingleton<Sluice.Validation.Filtering.DuckDbDatasetCopies>();
        services.AddSingleton<DatasetEvaluator>();
        services.AddMassTransitTestHarness(bus =>
        {
            // The harness's own inactivity timeout (about a second) ends a wait for the answer early on a loaded
            // machine, where an evaluation and its retries can leave the bus quiet that long: the test's timeout rules.
            bus.SetTestTimeouts(testTimeout: Timeout, testInactivityTimeout: Timeout);
            bus.AddConsumer<DatasetLandedConsumer, DatasetLandedConsumerDefinition>();
        });
        var provider = services.BuildServiceProvider(true);
        await provider.GetRequiredService<ITestHarness>().Start();
        return provider;
    }

    private static Task RegisterOrdersRulesetAsync(IServiceProvider provider) =>
        provider.GetRequiredService<RulesetRegistry>().RegisterAsync("orders", OrdersDataset.Ruleset, CancellationToken.None);

    private static DatasetLanded Landed(string jobId, IReadOnlyList<string> keys) =>
        new() { JobId = jobId, Source = "orders", ObjectKeys = keys, RecordCount = 5, LandedAt = DateTimeOffset.UtcNow };

    private static async Task<DatasetValidated> AnswerOfAsync(ITestHarness harness, string jobId)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        await foreach (var published in harness.Published.SelectAsync<DatasetValidated>(timeout.Token))
        {
            if (published.Context.Message.JobId == jobId)
            {
                return published.Context.Message;
            }
        }
        throw new TimeoutException($"No DatasetValidated for job {jobId} within {Timeout}.");
    }

    /// <summary>An object store whose first <c>failures</c> opens throw, as an unreachable store would.</summary>
    private sealed class FlakyObjectStore(IObjectStore inner, int failures) : IObjectStore
    {
        private int _failedOpens;

        public int FailedOpens => Volatile.Read(ref _failedOpens);

        public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default)
        {
            if (Volatile.Read(ref _failedOpens) < failures)
            {
                Interlocked.Increment(ref _failedOpens);
                throw new IOException("object store unreachable");
            }
            return inner.OpenReadAsync(key, cancellationToken);
        }

        public Task PutAsync(string key, Stream content, string? contentType = null, CancellationToken cancellationToken = default) =>
            inner.PutAsync(key, content, contentType, cancellationToken);

        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

        public Task<ObjectInfo?> TryGetInfoAsync(string key, CancellationToken cancellationToken = default) => inner.TryGetInfoAsync(key, cancellationToken);

        public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) => inner.ExistsAsync(key, cancellationToken);
    }

    /// <summary>An object store that lets each object be opened once; later opens fail as an unreachable store would.</summary>
    private sealed class ReadableOnceObjectStore(IObjectStore inner) : IObjectStore
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _opened = new(StringComparer.Ordinal);

        public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default) =>
            _opened.TryAdd(key, true) ? inner.OpenReadAsync(key, cancellationToken) : throw new IOException($"object '{key}' was already read once");

        public Task PutAsync(string key, Stream content, string? contentType = null, CancellationToken cancellationToken = default) =>
            inner.PutAsync(key, content, contentType, cancellationToken);

        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

        public Task<ObjectInfo?> TryGetInfoAsync(string key, CancellationToken cancellationToken = default) => inner.TryGetInfoAsync(key, cancellationToken);

        public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) => inner.ExistsAsync(key, cancellationToken);
    }
}
