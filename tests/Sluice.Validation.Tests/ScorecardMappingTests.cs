using Sluice.Contracts.Messages;
using Sluice.DataQuality.Evaluation;
using Sluice.Validation.Rulesets;

namespace Sluice.Validation.Tests;

/// <summary>Scorecards as gRPC messages and broker messages.</summary>
public sealed class ScorecardMappingTests
{
    private static readonly Scorecard Composite = new(0.5,
    [
        new RuleResult("RowCount > 0", RuleOutcome.Passed, new Dictionary<string, double> { ["Dataset.*.RowCount"] = 0 }, null),
        new RuleResult("(IsComplete \"a\") or (Mean \"b\" > 1)", RuleOutcome.Failed,
            new Dictionary<string, double> { ["Column.a.Completeness"] = double.NaN },
            "no operand passed",
            [
                new RuleResult("IsComplete \"a\"", RuleOutcome.Failed, new Dictionary<string, double> { ["Column.a.Completeness"] = double.NaN }, "empty"),
                new RuleResult("Mean \"b\" > 1", RuleOutcome.Error, new Dictionary<string, double>(), "no values"),
            ]),
    ], rowCount: 0);

    [Fact]
    public void ToMessage_MetricWithoutAFiniteValue_TravelsAsNullWithTheChildren()
    {
        var rules = ScorecardMapping.ToMessage(Composite);

        Assert.Equal(0, rules[0].Metrics["Dataset.*.RowCount"]);
        Assert.Null(rules[1].Metrics["Column.a.Completeness"]);
        Assert.Equal([DatasetRuleOutcome.Failed, DatasetRuleOutcome.Error], rules[1].Children.Select(c => c.Outcome));
        Assert.Equal("no values", rules[1].Children[1].FailureMessage);
    }

    [Fact]
    public void ToProto_FailedRule_NotPassedWithNaNKeptAndEmptyMessageForPassedRules()
    {
        var proto = ScorecardMapping.ToProto(Composite);

        Assert.False(proto.Passed);
        Assert.Equal(0.5, proto.Score);
        Assert.Equal("", proto.Rules[0].FailureMessage);
        Assert.True(double.IsNaN(proto.Rules[1].Metrics["Column.a.Completeness"]));
        Assert.Equal(2, proto.Rules[1].Children.Count);
    }

    [Fact]
    public void Passed_EmptyRuleset_Passes()
    {
        Assert.True(ScorecardMapping.Passed(new Scorecard(1.0, [], rowCount: 3)));
    }
}
