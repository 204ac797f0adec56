using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts;
using Sluice.ObjectStore;
using Sluice.Validation.V1;

namespace Sluice.Validation.Tests;

/// <summary>RegisterRuleset, GetRuleset and EvaluateRuleset through the real gRPC interface.</summary>
public sealed class RulesetRpcTests(SharedValidationHost fixture) : IClassFixture<SharedValidationHost>
{
    private ValidationService.ValidationServiceClient Client => fixture.Host.Client;

    private IObjectStore Objects => fixture.Host.Services.GetRequiredService<IObjectStore>();

    [Fact]
    public async Task RegisterRuleset_TwiceWithDifferentText_SecondIsCurrentAndFirstStaysReadable()
    {
        var source = UniqueName("orders");
        await Client.RegisterRulesetAsync(new RegisterRulesetRequest { Source = source, RulesetText = "Rules = [ RowCount > 0 ]" });

        var second = await Client.RegisterRulesetAsync(new RegisterRulesetRequest { Source = source, RulesetText = OrdersDataset.Ruleset });
        var current = await Client.GetRulesetAsync(new GetRulesetRequest { Source = source });
        var first = await Client.GetRulesetAsync(new GetRulesetRequest { Source = source, Version = 1 });

        Assert.True(second.Created);
        Assert.Equal(2, second.Ruleset.Version);
        Assert.Equal(6, second.Ruleset.RuleCount);
        Assert.Equal(OrdersDataset.Ruleset, current.Ruleset.RulesetText);
        Assert.Equal(2, current.Ruleset.Version);
        Assert.Equal("Rules = [ RowCount > 0 ]", first.Ruleset.RulesetText);
    }

    [Fact]
    public async Task RegisterRuleset_SameTextAsCurrent_ReturnsItUnchanged()
    {
        var source = UniqueName("orders");
        await Client.RegisterRulesetAsync(new RegisterRulesetRequest { Source = source, RulesetText = OrdersDataset.Ruleset });

        var again = await Client.RegisterRulesetAsync(new RegisterRulesetRequest { Source = source, RulesetText = OrdersDataset.Ruleset });

        Assert.False(again.Created);
        Assert.Equal(1, again.Ruleset.Version);
    }

    [Fact]
    public async Task RegisterRuleset_DqdlErrorOnLineThree_InvalidArgumentWithLineAndColumn()
    {
        const string text = "Rules = [\n    RowCount > 0,\n    IsComplete \"amount\" \"extra\"\n]";

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.RegisterRulesetAsync(new RegisterRulesetRequest { Source = UniqueName("orders"), RulesetText = text }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(error.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("ruleset_text", violation.Field);
        Assert.Matches(@"^DQDL error at line 3, column \d+: ", violation.Description);
    }

    [Fact]
    public async Task RegisterRuleset_BadSourceAndTooLongText_OneViolationPerField()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.RegisterRulesetAsync(new RegisterRulesetRequest
        {
            Source = "raw/orders",
            RulesetText = "Rules = [ " + string.Join(", ", Enumerable.Repeat("RowCount > 0", 300)) + " ]",
        }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violations = error.GetDetail<BadRequest>()!.FieldViolations.OrderBy(v => v.Field, StringComparer.Ordinal).ToList();
        Assert.Equal(["ruleset_text", "source"], violations.Select(v => v.Field));
        Assert.Contains("at most 2048", violations[0].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetRuleset_SourceWithoutRuleset_NotFoundWithResourceInfo()
    {
        var source = UniqueName("nothing");

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.GetRulesetAsync(new GetRulesetRequest { Source = source }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        var resource = error.GetDetail<ResourceInfo>()!;
        Assert.Equal("sluice.validation.v1.Ruleset", resource.ResourceType);
        Assert.Equal(source, resource.ResourceName);
    }

    [Fact]
    public async Task EvaluateRuleset_InlineRows_ScorecardAsComputedByHand()
    {
        var request = new EvaluateRulesetRequest { RulesetText = OrdersDataset.Ruleset, InlineRows = new InlineRows() };
        request.InlineRows.RowsJson.AddRange(OrdersDataset.Rows);

        var response = await Client.EvaluateRulesetAsync(request);

        AssertOrdersScorecard(response.Scorecard);
        Assert.Equal(0, response.RulesetVersion);
    }

    [Fact]
    public async Task EvaluateRuleset_ObjectStorePrefix_ReadsTheNdjsonPartsAndSkipsTheManifest()
    {
        var source = UniqueName("orders");
        await OrdersDataset.WritePartsAsync(Objects, source, "job-1");

        var response = await Client.EvaluateRulesetAsync(new EvaluateRulesetRequest
        {
            RulesetText = OrdersDataset.Ruleset,
            ObjectStore = new ObjectStoreDataset { KeyPrefix = $"raw/{source}/" },
        });

        AssertOrdersScorecard(response.Scorecard);
    }

    [Fact]
    public async Task EvaluateRuleset_RegisteredSourceAndExplicitKeys_EvaluatesTheCurrentRuleset()
    {
        var source = UniqueName("orders");
        var keys = await OrdersDataset.WritePartsAsync(Objects, source, "job-2");
        await Client.RegisterRulesetAsync(new RegisterRulesetRequest { Source = source, RulesetText = "Rules = [ RowCount > 100 ]" });
        await Client.RegisterRulesetAsync(new RegisterRulesetRequest { Source = source, RulesetText = OrdersDataset.Ruleset });
        var request = new EvaluateRulesetRequest { Source = source, ObjectStore = new ObjectStoreDataset() };
        request.ObjectStore.Keys.AddRange(keys);

        var response = await Client.EvaluateRulesetAsync(request);

        Assert.Equal(2, response.RulesetVersion);
        AssertOrdersScorecard(response.Scorecard);
    }

    [Fact]
    public async Task EvaluateRuleset_CompositeRule_ReportsEachOperand()
    {
        var request = new EvaluateRulesetRequest
        {
            RulesetText = """Rules = [ (IsComplete "id") and (ColumnValues "status" in ["shipped"]) ]""",
            InlineRows = new InlineRows(),
        };
        request.InlineRows.RowsJson.AddRange(OrdersDataset.Rows);

        var response = await Client.EvaluateRulesetAsync(request);

        var rule = Assert.Single(response.Scorecard.Rules);
        Assert.Equal(RuleOutcome.Failed, rule.Outcome);
        Assert.Equal([RuleOutcome.Passed, RuleOutcome.Failed], rule.Children.Select(c => c.Outcome));
        Assert.Equal(0.6, rule.Children[1].Metrics["Column.status.ColumnValues.Compliance"], 1e-9);
        Assert.Equal(0.0, response.Scorecard.Score);
    }

    [Fact]
    public async Task EvaluateRuleset_InvalidObjectKey_InvalidArgumentNamingTheKeyIndex()
    {
        var request = new EvaluateRulesetRequest { RulesetText = "Rules = [ RowCount > 0 ]", ObjectStore = new ObjectStoreDataset() };
        request.ObjectStore.Keys.AddRange(["raw/orders/part-00000.ndjson", "raw/../secrets/part.ndjson"]);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.EvaluateRulesetAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(error.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("object_store.keys[1]", violation.Field);
        Assert.Contains("..", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateRuleset_PrefixAndKeysBoth_InvalidArgumentOnObjectStore()
    {
        var request = new EvaluateRulesetRequest { RulesetText = "Rules = [ RowCount > 0 ]", ObjectStore = new ObjectStoreDataset { KeyPrefix = "raw/" } };
        request.ObjectStore.Keys.Add("raw/a.ndjson");

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.EvaluateRulesetAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("object_store", Assert.Single(error.GetDetail<BadRequest>()!.FieldViolations).Field);
    }

    [Fact]
    public async Task EvaluateRuleset_MissingObject_NotFoundNamingTheKey()
    {
        var key = $"raw/{UniqueName("orders")}/part-00000.ndjson";
        var request = new EvaluateRulesetRequest { RulesetText = "Rules = [ RowCount > 0 ]", ObjectStore = new ObjectStoreDataset() };
        request.ObjectStore.Keys.Add(key);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.EvaluateRulesetAsync(request));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(key, error.GetDetail<ResourceInfo>()!.ResourceName);
    }

    [Fact]
    public async Task EvaluateRuleset_PrefixWithoutParts_NotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.EvaluateRulesetAsync(new EvaluateRulesetRequest
        {
            RulesetText = "Rules = [ RowCount > 0 ]",
            ObjectStore = new ObjectStoreDataset { KeyPrefix = $"raw/{UniqueName("empty")}/" },
        }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task EvaluateRuleset_PartWithALineThatIsNotJson_InvalidArgumentNamingKeyAndLine()
    {
        var key = $"raw/{UniqueName("orders")}/part-00000.ndjson";
        await OrdersDataset.PutAsync(Objects, key, """{"id":1}""" + "\n" + """{"id":2""" + "\n");
        var request = new EvaluateRulesetRequest { RulesetText = "Rules = [ RowCount > 0 ]", ObjectStore = new ObjectStoreDataset() };
        request.ObjectStore.Keys.Add(key);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.EvaluateRulesetAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(error.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("object_store", violation.Field);
        Assert.Contains(key, violation.Description, StringComparison.Ordinal);
        Assert.Contains("line 2", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateRuleset_InlineRowsNotObjects_InvalidArgumentPerRow()
    {
        var request = new EvaluateRulesetRequest { RulesetText = "Rules = [ RowCount > 0 ]", InlineRows = new InlineRows() };
        request.InlineRows.RowsJson.AddRange(["""{"id":1}""", "[1,2]", """{"id":""", """{"id":4}"""]);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.EvaluateRulesetAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var fields = error.GetDetail<BadRequest>()!.FieldViolations.Select(v => v.Field);
        Assert.Equal(["inline_rows.rows_json[1]", "inline_rows.rows_json[2]"], fields);
    }

    [Fact]
    public async Task EvaluateRuleset_MoreInlineRowsThanTheLimit_InvalidArgumentStatingTheLimit()
    {
        var request = new EvaluateRulesetRequest { RulesetText = "Rules = [ RowCount > 0 ]", InlineRows = new InlineRows() };
        request.InlineRows.RowsJson.AddRange(Enumerable.Range(0, 51).Select(i => $$"""{"id":{{i}}}"""));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.EvaluateRulesetAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(error.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("inline_rows.rows_json", violation.Field);
        Assert.Contains("at most 50", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateRuleset_NoRulesetNoDatasetAndUnknownSource_InvalidArgumentOrNotFound()
    {
        var empty = await Assert.ThrowsAsync<RpcException>(async () => await Client.EvaluateRulesetAsync(new EvaluateRulesetRequest()));
        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await Client.EvaluateRulesetAsync(new EvaluateRulesetRequest
        {
            Source = UniqueName("unregistered"),
            InlineRows = new InlineRows { RowsJson = { "{}" } },
        }));

        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.Equal(["dataset", "ruleset"], empty.GetDetail<BadRequest>()!.FieldViolations.Select(v => v.Field).Order(StringComparer.Ordinal));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task EvaluateRuleset_BadDqdl_InvalidArgumentWithLineAndColumn()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.EvaluateRulesetAsync(new EvaluateRulesetRequest
        {
            RulesetText = "Rules = [ NoSuchRule \"x\" ]",
            InlineRows = new InlineRows { RowsJson = { "{}" } },
        }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(error.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("ruleset_text", violation.Field);
        Assert.StartsWith("DQDL error at line 1, column 11: ", violation.Description, StringComparison.Ordinal);
    }

    private static void AssertOrdersScorecard(Scorecard scorecard)
    {
        Assert.Equal(5, scorecard.RowCount);
        Assert.Equal(OrdersDataset.ExpectedScore, scorecard.Score, 1e-9);
        Assert.False(scorecard.Passed);
        Assert.Equal(
            [RuleOutcome.Passed, RuleOutcome.Failed, RuleOutcome.Failed, RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Failed],
            scorecard.Rules.Select(r => r.Outcome));
        Assert.Equal("RowCount = 5", scorecard.Rules[0].Rule);
        Assert.Equal(5, scorecard.Rules[0].Metrics["Dataset.*.RowCount"]);
        Assert.Equal(0.8, scorecard.Rules[1].Metrics["Column.amount.Completeness"], 1e-9);
        Assert.Equal(0.6, scorecard.Rules[2].Metrics["Column.id.Uniqueness"], 1e-9);
        Assert.Equal(0.8, scorecard.Rules[3].Metrics["Column.status.ColumnValues.Compliance"], 1e-9);
        Assert.Equal(30, scorecard.Rules[4].Metrics["Column.amount.Mean"], 1e-9);
        Assert.Equal("", scorecard.Rules[0].FailureMessage);
        Assert.NotEmpty(scorecard.Rules[1].FailureMessage);
        Assert.Equal(1, scorecard.Rules[5].Metrics["Dataset.*.CustomSQL"]);
        Assert.Contains("does not meet the constraint", scorecard.Rules[5].FailureMessage, StringComparison.Ordinal);
    }

    private static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid():N}";
}
