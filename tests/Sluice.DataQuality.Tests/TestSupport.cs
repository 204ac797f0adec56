using System.Text.Json.Nodes;
using Sluice.DataQuality.Data;
using Sluice.DataQuality.Evaluation;
using Sluice.DataQuality.Parsing;

namespace Sluice.DataQuality.Tests;

/// <summary>A clock frozen at one instant, so now() and DataFreshness are deterministic.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

internal static class Dq
{
    public static readonly DateTimeOffset Now = new(2024, 6, 30, 12, 0, 0, TimeSpan.Zero);

    public static EvaluationOptions Options(ICustomSqlRunner? runner = null) =>
        new() { TimeProvider = new FixedTimeProvider(Now), CustomSqlRunner = runner };

    /// <summary>Evaluates one rule over rows given as JSON object texts and returns its result.</summary>
    public static async Task<RuleResult> EvaluateRuleAsync(string rule, params string[] rows)
    {
        var scorecard = await EvaluateAsync($"Rules = [ {rule} ]", rows);
        return Assert.Single(scorecard.Rules);
    }

    public static Task<Scorecard> EvaluateAsync(string dqdl, IEnumerable<string> rows, EvaluationOptions? options = null) =>
        RulesetEvaluator.EvaluateAsync(DqdlParser.Parse(dqdl), Rows(rows), options ?? Options());

    public static DatasetSource Rows(IEnumerable<string> rows) =>
        DatasetSource.FromRows(rows.Select(row => (JsonObject?)JsonNode.Parse(row)).ToList());
}
