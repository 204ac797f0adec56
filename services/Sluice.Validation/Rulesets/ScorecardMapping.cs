using Sluice.Contracts.Messages;
using Sluice.DataQuality.Evaluation;
using Proto = Sluice.Validation.V1;

namespace Sluice.Validation.Rulesets;

/// <summary>Scorecards of Sluice.DataQuality as the gRPC contract and as broker messages.</summary>
internal static class ScorecardMapping
{
    /// <summary>A dataset passes when every top-level rule passed (an empty ruleset passes).</summary>
    public static bool Passed(Scorecard scorecard) => scorecard.Rules.All(rule => rule.Outcome == RuleOutcome.Passed);

    public static Proto.Scorecard ToProto(Scorecard scorecard)
    {
        var proto = new Proto.Scorecard { Score = scorecard.Score, Passed = Passed(scorecard), RowCount = scorecard.RowCount };
        proto.Rules.AddRange(scorecard.Rules.Select(ToProto));
        foreach (var analyzer in scorecard.Analyzers)
        {
            var result = new Proto.AnalyzerResult { Analyzer = analyzer.Analyzer, Error = analyzer.Error ?? "" };
            foreach (var (name, value) in analyzer.Metrics)
            {
                result.Metrics[name] = value;
            }
            proto.Analyzers.Add(result);
        }
        return proto;
    }

    public static IReadOnlyList<DatasetRuleResult> ToMessage(Scorecard scorecard) => scorecard.Rules.Select(ToMessage).ToList();

    private static Proto.RuleResult ToProto(RuleResult result)
    {
        var proto = new Proto.RuleResult
        {
            Rule = result.Rule,
            Outcome = result.Outcome switch
            {
                RuleOutcome.Passed => Proto.RuleOutcome.Passed,
                RuleOutcome.Failed => Proto.RuleOutcome.Failed,
                _ => Proto.RuleOutcome.Error,
            },
            FailureMessage = result.FailureMessage ?? "",
        };
        foreach (var (name, value) in result.Metrics)
        {
            proto.Metrics[name] = value;
        }
        proto.Children.AddRange(result.Children.Select(ToProto));
        return proto;
    }

    private static DatasetRuleResult ToMessage(RuleResult result) => new()
    {
        Rule = result.Rule,
        Outcome = result.Outcome switch
        {
            RuleOutcome.Passed => DatasetRuleOutcome.Passed,
            RuleOutcome.Failed => DatasetRuleOutcome.Failed,
            _ => DatasetRuleOutcome.Error,
        },
        // JSON has no NaN or infinity: a metric without a finite value travels as null.
        Metrics = result.Metrics.ToDictionary(metric => metric.Key, metric => double.IsFinite(metric.Value) ? metric.Value : (double?)null, StringComparer.Ordinal),
        FailureMessage = result.FailureMessage,
        Children = result.Children.Select(ToMessage).ToList(),
    };
}
