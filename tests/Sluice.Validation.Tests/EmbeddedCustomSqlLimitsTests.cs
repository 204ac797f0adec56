using Microsoft.Extensions.DependencyInjection;
using Sluice.ObjectStore;
using Sluice.Validation.V1;

namespace Sluice.Validation.Tests;

/// <summary>The limits of the embedded DuckDB copy (rows, bytes, statement time), set small so small requests reach them.</summary>
public sealed class EmbeddedCustomSqlLimitsTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Limits = new()
    {
        ["CustomSql:MaxRows"] = "3",
        ["CustomSql:MaxBytes"] = "1000",
        ["CustomSql:StatementTimeout"] = "00:00:00.200",
    };

    private static readonly string[] ThreeRows = ["""{"id":1}""", """{"id":2}""", """{"id":3}"""];

    private readonly TestDirectories _directories = new();
    private ValidationHost _host = null!;

    public async Task InitializeAsync() => _host = await ValidationHost.StartAsync(_directories, Limits);

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _directories.Dispose();
    }

    [Fact]
    public async Task EvaluateRuleset_MoreRowsThanMaxRows_CustomSqlRulesErrorAndOtherRulesAreScored()
    {
        var scorecard = await EvaluateInlineAsync(
            """Rules = [ RowCount = 5, CustomSql "select count(*) from primary" = 5, CustomSql "select id from primary" ]""", OrdersDataset.Rows);

        Assert.Equal([RuleOutcome.Passed, RuleOutcome.Error, RuleOutcome.Error], scorecard.Rules.Select(r => r.Outcome));
        Assert.All(scorecard.Rules.Skip(1), rule => Assert.EndsWith(
            "The dataset has more than 3 rows, the most the DuckDB copy for CustomSql and where clauses holds (Sluice:Validation:CustomSql:MaxRows).",
            rule.FailureMessage, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EvaluateRuleset_WhereClausesInTheSubset_ScoredWithoutTheCopyWhileOthersReachItsLimit()
    {
        // Five rows, more than the copy may hold: the clauses evaluated in process never load it; the one with a
        // function goes to DuckDB and meets the limit.
        var scorecard = await EvaluateInlineAsync("""
            Rules = [
                RowCount = 5,
                RowCount = 3 where "status = 'shipped'",
                Sum "amount" = 110 where "amount >= 20",
                RowCount = 3 where "lower(status) = 'shipped'"
            ]
            """, OrdersDataset.Rows);

        Assert.Equal([RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Error], scorecard.Rules.Select(r => r.Outcome));
        Assert.EndsWith("(Sluice:Validation:CustomSql:MaxRows).", scorecard.Rules[3].FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateRuleset_InlineRowLargerThanMaxBytes_CustomSqlRuleErrorNamingTheLimit()
    {
        var scorecard = await EvaluateInlineAsync("""Rules = [ CustomSql "select count(*) from primary" = 1 ]""",
            ["""{"note":" """ + new string('x', 2000) + "\"}"]);

        var rule = Assert.Single(scorecard.Rules);
        Assert.Equal(RuleOutcome.Error, rule.Outcome);
        Assert.EndsWith(
            "The dataset is larger than 1,000 bytes, the most the DuckDB copy for CustomSql and where clauses holds (Sluice:Validation:CustomSql:MaxBytes).",
            rule.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateRuleset_PartWithALineLongerThanMaxBytes_CustomSqlRuleErrorWhileTheEvaluatorScoresTheRest()
    {
        // 200 KB in one line: the copy stops reading it long before the line ends.
        var key = $"raw/limits-{Guid.NewGuid():N}/part-00000.ndjson";
        await OrdersDataset.PutAsync(_host.Services.GetRequiredService<IObjectStore>(), key,
            """{"id":1,"note":" """ + new string('x', 200_000) + "\"}\n" + """{"id":2}""" + "\n");
        var request = new EvaluateRulesetRequest
        {
            RulesetText = """Rules = [ RowCount = 2, CustomSql "select count(*) from primary" = 2 ]""",
            ObjectStore = new ObjectStoreDataset { Keys = { key } },
        };

        var scorecard = (await _host.Client.EvaluateRulesetAsync(request)).Scorecard;

        Assert.Equal([RuleOutcome.Passed, RuleOutcome.Error], scorecard.Rules.Select(r => r.Outcome));
        Assert.Contains("larger than 1,000 bytes", scorecard.Rules[1].FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateRuleset_StatementRunningLongerThanTheTimeout_InterruptedErrorAndTheCopyStaysUsable()
    {
        var scorecard = await EvaluateInlineAsync("""
            Rules = [
                CustomSql "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n" > 0,
                CustomSql "select count(*) from primary" = 3
            ]
            """, ThreeRows);

        Assert.Equal([RuleOutcome.Error, RuleOutcome.Passed], scorecard.Rules.Select(r => r.Outcome));
        Assert.EndsWith(
            "The CustomSql statement ran longer than 0.2 s and was interrupted (Sluice:Validation:CustomSql:StatementTimeout).",
            scorecard.Rules[0].FailureMessage, StringComparison.Ordinal);
        Assert.Equal(3, scorecard.Rules[1].Metrics["Dataset.*.CustomSQL"]);
    }

    [Fact]
    public async Task EvaluateRuleset_WhereClauseRunningLongerThanTheTimeout_InterruptedErrorAndTheCopyStaysUsable()
    {
        var scorecard = await EvaluateInlineAsync("""
            Rules = [
                IsComplete "id" where "(select count(*) from range(1000000) a, range(1000000) b) > 0",
                CustomSql "select count(*) from primary" = 3
            ]
            """, ThreeRows);

        Assert.Equal([RuleOutcome.Error, RuleOutcome.Passed], scorecard.Rules.Select(r => r.Outcome));
        Assert.Contains("The where clause ran longer than 0.2 s and was interrupted (Sluice:Validation:CustomSql:StatementTimeout).",
            scorecard.Rules[0].FailureMessage, StringComparison.Ordinal);
    }

    private async Task<Scorecard> EvaluateInlineAsync(string ruleset, IEnumerable<string> rows)
    {
        var request = new EvaluateRulesetRequest { RulesetText = ruleset, InlineRows = new InlineRows() };
        request.InlineRows.RowsJson.AddRange(rows);
        return (await _host.Client.EvaluateRulesetAsync(request)).Scorecard;
    }
}
