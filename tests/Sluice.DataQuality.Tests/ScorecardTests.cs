using Sluice.DataQuality.Evaluation;
using Sluice.DataQuality.Parsing;

namespace Sluice.DataQuality.Tests;

public class ScorecardTests
{
    private static readonly string[] Orders =
    [
        """{"id":1,"status":"open","total":10.5}""",
        """{"id":2,"status":"closed","total":20}""",
        """{"id":3,"status":null,"total":30}""",
    ];

    [Fact]
    public async Task EvaluateAsync_MixedOutcomes_ScoreIsFractionPassed()
    {
        var scorecard = await Dq.EvaluateAsync("""
            Rules = [
                RowCount = 3,
                IsComplete "status",
                IsPrimaryKey "id",
                Mean "total" > 100
            ]
            """, Orders);

        Assert.Equal([RuleOutcome.Passed, RuleOutcome.Failed, RuleOutcome.Passed, RuleOutcome.Failed], scorecard.Rules.Select(r => r.Outcome));
        Assert.Equal(0.5, scorecard.Score);
        Assert.Equal(3, scorecard.RowCount);
        Assert.Equal("IsComplete \"status\"", scorecard.Rules[1].Rule);
        Assert.Null(scorecard.Rules[0].FailureMessage);
        Assert.Equal("Value: 20.166666666666668 does not meet the constraint requirement!", scorecard.Rules[3].FailureMessage);
    }

    [Fact]
    public async Task EvaluateAsync_EmptyRuleset_ScoresOne()
    {
        var scorecard = await Dq.EvaluateAsync("Rules = [ ]", Orders);

        Assert.Equal(1.0, scorecard.Score);
        Assert.Empty(scorecard.Rules);
    }

    [Theory]
    [InlineData("(IsComplete \"id\") and (IsUnique \"id\")", RuleOutcome.Passed)]
    [InlineData("(IsComplete \"status\") and (IsUnique \"id\")", RuleOutcome.Failed)]
    [InlineData("(IsComplete \"status\") or (IsUnique \"id\")", RuleOutcome.Passed)]
    [InlineData("(Mean \"total\" > 3) and ((Mean \"total\" > 500) or (IsComplete \"id\"))", RuleOutcome.Passed)]
    [InlineData("(RowCount > 5) or ((IsComplete \"status\") and (IsUnique \"id\"))", RuleOutcome.Failed)]
    [InlineData("(Mean \"total\" > 0) and (Mean \"total\" < 100) and (IsComplete \"total\")", RuleOutcome.Passed)]
    public async Task CompositeRule_CombinesOperandOutcomes(string rule, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync(rule, Orders);

        Assert.Equal(expected, result.Outcome);
        Assert.Equal(rule, result.Rule);
        Assert.True(result.Children.Count >= 2);
    }

    [Fact]
    public async Task CompositeRule_CollectsChildMetrics()
    {
        var result = await Dq.EvaluateRuleAsync("(IsComplete \"status\") or (Completeness \"total\" = 1)", Orders);

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
        Assert.Equal(2 / 3.0, result.Metrics["Column.status.Completeness"], 12);
        Assert.Equal(1.0, result.Metrics["Column.total.Completeness"]);
    }

    [Fact]
    public async Task CompositeAnd_ErrorOperandWithoutFailure_IsError()
    {
        var result = await Dq.EvaluateRuleAsync("(IsComplete \"id\") and (CustomSql \"select 1\" = 1)", Orders);

        Assert.Equal(RuleOutcome.Error, result.Outcome);
    }

    [Fact]
    public async Task CompositeOr_PassingOperandOutweighsError()
    {
        var result = await Dq.EvaluateRuleAsync("(IsComplete \"id\") or (CustomSql \"select 1\" = 1)", Orders);

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
    }

    [Fact]
    public async Task WhereClause_WithoutSqlEngine_IsReportedAsError()
    {
        var result = await Dq.EvaluateRuleAsync("Completeness \"status\" > 0.5 where \"round(total) > 10\"", Orders);

        Assert.Equal(RuleOutcome.Error, result.Outcome);
        Assert.Contains("where", result.FailureMessage);
    }

    [Fact]
    public void RulesOnSameColumn_ShareOneFrequencyTable()
    {
        var plan = new EvaluationPlan(Dq.Options(), Dq.Now);
        foreach (var rule in DqdlParser.Parse("""
            Rules = [ IsUnique "id", Uniqueness "id" = 1, IsPrimaryKey "id", DistinctValuesCount "id" = 3, Entropy "id" > 1, Completeness "id" = 1 ]
            """).Rules)
        {
            RuleEvaluator.Create(rule, _ => plan);
        }

        Assert.Equal(1, plan.Slot("id").ConsumerCount);
    }

    [Fact]
    public async Task EvaluateAsync_SameColumnManyRules_AllAgree()
    {
        var scorecard = await Dq.EvaluateAsync("""
            Rules = [ IsUnique "id", Uniqueness "id" = 1, IsPrimaryKey "id", DistinctValuesCount "id" = 3, UniqueValueRatio "id" = 1 ]
            """, Orders);

        Assert.All(scorecard.Rules, r => Assert.Equal(RuleOutcome.Passed, r.Outcome));
    }
}
