using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts.Messages;
using Sluice.ObjectStore;
using Sluice.Validation.V1;

namespace Sluice.Validation.Tests;

/// <summary>
/// DatasetLanded → DatasetValidated on the hosted service's own bus: parts written to the local
/// object store, the event published, the answer observed by a receive endpoint of the test. Run
/// once per transport the service supports (see the subclasses at the end).
/// </summary>
public abstract class DatasetLandedEndToEndTests
{
    /// <summary>The service shared by the tests of the class, on the subclass's transport.</summary>
    protected abstract ValidationHost Host { get; }

    [Fact]
    public async Task DatasetLanded_SourceWithRegisteredRuleset_PublishesDatasetValidatedWithTheScorecard()
    {
        var source = "orders-" + Guid.NewGuid().ToString("N");
        var jobId = Guid.NewGuid().ToString();
        var keys = await OrdersDataset.WritePartsAsync(Host.Services.GetRequiredService<IObjectStore>(), source, jobId);
        await Host.Client.RegisterRulesetAsync(new RegisterRulesetRequest { Source = source, RulesetText = OrdersDataset.Ruleset });

        var validated = await PublishAndAwaitAnswerAsync(new DatasetLanded
        {
            JobId = jobId, Source = source, ObjectKeys = keys, RecordCount = 5, LandedAt = DateTimeOffset.UtcNow,
        });

        Assert.Equal(source, validated.Source);
        Assert.Equal(DatasetValidationStatus.Scored, validated.Status);
        Assert.False(validated.Passed);
        Assert.Equal(OrdersDataset.ExpectedScore, validated.Score!.Value, 1e-9);
        Assert.Equal(5, validated.RowCount);
        Assert.Equal(1, validated.RulesetVersion);
        Assert.Null(validated.Error);
        Assert.Equal(
            [DatasetRuleOutcome.Passed, DatasetRuleOutcome.Failed, DatasetRuleOutcome.Failed, DatasetRuleOutcome.Passed, DatasetRuleOutcome.Passed, DatasetRuleOutcome.Failed],
            validated.Rules.Select(r => r.Outcome));
        Assert.Equal("IsComplete \"amount\"", validated.Rules[1].Rule);
        Assert.Equal(0.8, validated.Rules[1].Metrics["Column.amount.Completeness"]!.Value, 1e-9);
        Assert.Equal(0.6, validated.Rules[2].Metrics["Column.id.Uniqueness"]!.Value, 1e-9);
        Assert.Equal(30, validated.Rules[4].Metrics["Column.amount.Mean"]!.Value, 1e-9);
        Assert.Null(validated.Rules[0].FailureMessage);
        Assert.Equal(1, validated.Rules[5].Metrics["Dataset.*.CustomSQL"]);
        Assert.Contains("does not meet the constraint", validated.Rules[5].FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DatasetLanded_WhereReferencesAndHistory_AllEvaluatedOnTheLandedParts()
    {
        var source = "whole-" + Guid.NewGuid().ToString("N");
        var store = Host.Services.GetRequiredService<IObjectStore>();
        var referencePrefix = $"raw/{source}-customers/";
        await OrdersDataset.PutAsync(store, referencePrefix + "part-00000.ndjson", "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n");
        var registration = new RegisterRulesetRequest
        {
            Source = source,
            RulesetText = """
                Rules = [
                    ReferentialIntegrity "id" "customers.{id}" = 0.6,
                    RowCount = 3 where "status = 'shipped'",
                    RowCount >= avg(last(3))
                ]
                """,
        };
        registration.ReferencePrefixes["customers"] = referencePrefix;
        var registered = await Host.Client.RegisterRulesetAsync(registration);
        Assert.Equal(referencePrefix, registered.Ruleset.ReferencePrefixes["customers"]);

        var first = await PublishAndAwaitAnswerAsync(await LandedAsync(store, source));
        var second = await PublishAndAwaitAnswerAsync(await LandedAsync(store, source));

        // ids 1, 2, 3 of 1, 2, 3, 4, 4 are customers; 3 shipped orders; the first landing has no history, the second
        // compares its 5 rows with the first's 5.
        Assert.Equal([DatasetRuleOutcome.Passed, DatasetRuleOutcome.Passed, DatasetRuleOutcome.Error], first.Rules.Select(r => r.Outcome));
        Assert.Contains("no history", first.Rules[2].FailureMessage, StringComparison.Ordinal);
        Assert.Equal([DatasetRuleOutcome.Passed, DatasetRuleOutcome.Passed, DatasetRuleOutcome.Passed], second.Rules.Select(r => r.Outcome));
        Assert.True(second.Passed);
    }

    private static async Task<DatasetLanded> LandedAsync(IObjectStore store, string source)
    {
        var jobId = Guid.NewGuid().ToString();
        var keys = await OrdersDataset.WritePartsAsync(store, source, jobId);
        return new DatasetLanded { JobId = jobId, Source = source, ObjectKeys = keys, RecordCount = 5, LandedAt = DateTimeOffset.UtcNow };
    }

    [Fact]
    public async Task DatasetLanded_EveryRulePasses_PublishesPassed()
    {
        var source = "clean-" + Guid.NewGuid().ToString("N");
        var jobId = Guid.NewGuid().ToString();
        var keys = await OrdersDataset.WritePartsAsync(Host.Services.GetRequiredService<IObjectStore>(), source, jobId);
        await Host.Client.RegisterRulesetAsync(new RegisterRulesetRequest
        {
            Source = source,
            RulesetText = """Rules = [ RowCount between 1 and 10, IsComplete "status", ColumnValues "status" in ["shipped", "pending", "lost"] ]""",
        });

        var validated = await PublishAndAwaitAnswerAsync(new DatasetLanded
        {
            JobId = jobId, Source = source, ObjectKeys = keys, RecordCount = 5, LandedAt = DateTimeOffset.UtcNow,
        });

        Assert.Equal(DatasetValidationStatus.Scored, validated.Status);
        Assert.True(validated.Passed);
        Assert.Equal(1.0, validated.Score);
        Assert.All(validated.Rules, r => Assert.Equal(DatasetRuleOutcome.Passed, r.Outcome));
    }

    [Fact]
    public async Task DatasetLanded_SourceWithoutRuleset_PublishesNoRulesetNotPassed()
    {
        var source = "unchecked-" + Guid.NewGuid().ToString("N");
        var jobId = Guid.NewGuid().ToString();

        var validated = await PublishAndAwaitAnswerAsync(new DatasetLanded
        {
            JobId = jobId, Source = source, ObjectKeys = [$"raw/{source}/ingest_date=2026-11-21/{jobId}/part-00000.ndjson"], RecordCount = 1, LandedAt = DateTimeOffset.UtcNow,
        });

        Assert.Equal(DatasetValidationStatus.NoRuleset, validated.Status);
        Assert.False(validated.Passed);
        Assert.Null(validated.Score);
        Assert.Empty(validated.Rules);
        Assert.Contains(source, validated.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DatasetLanded_PartMissingFromTheStore_PublishesErrorNamingThePart()
    {
        var source = "lost-" + Guid.NewGuid().ToString("N");
        var jobId = Guid.NewGuid().ToString();
        var missing = $"raw/{source}/ingest_date=2026-11-21/{jobId}/part-00000.ndjson";
        await Host.Client.RegisterRulesetAsync(new RegisterRulesetRequest { Source = source, RulesetText = "Rules = [ RowCount > 0 ]" });

        var validated = await PublishAndAwaitAnswerAsync(new DatasetLanded
        {
            JobId = jobId, Source = source, ObjectKeys = [missing], RecordCount = 1, LandedAt = DateTimeOffset.UtcNow,
        });

        Assert.Equal(DatasetValidationStatus.Error, validated.Status);
        Assert.False(validated.Passed);
        Assert.Null(validated.Score);
        Assert.Equal(1, validated.RulesetVersion);
        Assert.Contains(missing, validated.Error, StringComparison.Ordinal);
    }

    private Task<DatasetValidated> PublishAndAwaitAnswerAsync(DatasetLanded landed) => DatasetValidatedProbe.PublishAndAwaitAnswerAsync(Host, landed);
}

public sealed class InMemoryDatasetLandedEndToEndTests(SharedValidationHost fixture) : DatasetLandedEndToEndTests, IClassFixture<SharedValidationHost>
{
    protected override ValidationHost Host => fixture.Host;
}

/// <summary>The durable profile's transport, on the server SLUICE_TEST_RABBITMQ names.</summary>
[Collection(RabbitMqBroker.Collection)]
public sealed class RabbitMqDatasetLandedEndToEndTests(RabbitMqSharedValidationHost fixture) : DatasetLandedEndToEndTests, IClassFixture<RabbitMqSharedValidationHost>
{
    protected override ValidationHost Host => fixture.Host;
}
