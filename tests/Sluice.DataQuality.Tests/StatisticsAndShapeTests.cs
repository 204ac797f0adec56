using Sluice.DataQuality.Evaluation;

namespace Sluice.DataQuality.Tests;

/// <summary>RowCount, ColumnCount, Mean, Sum, StandardDeviation, ColumnLength, ColumnDataType, DataFreshness.</summary>
public class StatisticsAndShapeTests
{
    // StandardDeviation reference, Null behavior: units1 = 0, null, 20, null, 40 gives 16.33; units2 gives 16.
    private static readonly string[] Units =
    [
        """{"id":100,"units1":0,"units2":0}""",
        """{"id":101,"units1":null,"units2":0}""",
        """{"id":102,"units1":20,"units2":20}""",
        """{"id":103,"units1":null,"units2":0}""",
        """{"id":104,"units1":40,"units2":40}""",
    ];

    [Fact]
    public async Task StandardDeviation_ReferenceNullExample_IsPopulationDeviationIgnoringNulls()
    {
        var scorecard = await Dq.EvaluateAsync("""
            Rules = [ StandardDeviation "units1" between 16.32 and 16.34, StandardDeviation "units2" = 16 ]
            """, Units);

        Assert.All(scorecard.Rules, r => Assert.Equal(RuleOutcome.Passed, r.Outcome));
        Assert.Equal(Math.Sqrt(800 / 3.0), scorecard.Rules[0].Metrics["Column.units1.StandardDeviation"], 12);
        Assert.Equal(16.0, scorecard.Rules[1].Metrics["Column.units2.StandardDeviation"], 12);
    }

    [Fact]
    public async Task MeanAndSum_IgnoreNulls()
    {
        var scorecard = await Dq.EvaluateAsync("""Rules = [ Mean "units1" = 20, Sum "units1" = 60, Mean "units2" = 12 ]""", Units);

        Assert.All(scorecard.Rules, r => Assert.Equal(RuleOutcome.Passed, r.Outcome));
        Assert.Equal(60.0, scorecard.Rules[1].Metrics["Column.units1.Sum"]);
    }

    [Fact]
    public async Task Mean_StringValues_FailsAsNonNumeric()
    {
        var result = await Dq.EvaluateRuleAsync("""Mean "x" > 0""", """{"x":1}""", """{"x":"two"}""");

        Assert.Equal(RuleOutcome.Failed, result.Outcome);
        Assert.Contains("non-numeric", result.FailureMessage);
    }

    [Theory]
    [InlineData("RowCount between 2 and 4", RuleOutcome.Passed)]
    [InlineData("RowCount between 3 and 4", RuleOutcome.Failed)]
    [InlineData("RowCount = 3", RuleOutcome.Passed)]
    [InlineData("RowCount \"id\" > 100", RuleOutcome.Failed)]
    public async Task RowCount_CountsRows(string rule, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync(rule, """{"a":1}""", """{"a":2}""", """{"b":3}""");

        Assert.Equal(expected, result.Outcome);
        Assert.Equal(3, result.Metrics["Dataset.*.RowCount"]);
    }

    [Fact]
    public async Task ColumnCount_CountsKeysAcrossAllRows()
    {
        var result = await Dq.EvaluateRuleAsync("ColumnCount = 3", """{"a":1,"b":null}""", """{"b":2,"c":{"nested":1}}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
        Assert.Equal(3, result.Metrics["Dataset.*.ColumnCount"]);
    }

    [Theory]
    [InlineData("ColumnLength \"Postal_Code\" = 5", RuleOutcome.Passed)]
    [InlineData("ColumnLength \"Postal_Code\" between 4 and 6", RuleOutcome.Passed)]
    [InlineData("ColumnLength \"Postal_Code\" between 5 and 6", RuleOutcome.Failed)]
    [InlineData("ColumnLength \"Postal_Code\" in [5, 9]", RuleOutcome.Passed)]
    public async Task ColumnLength_AllValuesFiveCharacters(string rule, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync(rule, """{"Postal_Code":"98101"}""", """{"Postal_Code":"héllo"}""");

        Assert.Equal(expected, result.Outcome);
        Assert.Equal(5, result.Metrics["Column.Postal_Code.MinimumLength"]);
        Assert.Equal(5, result.Metrics["Column.Postal_Code.MaximumLength"]);
    }

    // ColumnLength reference, Null behavior: null is a 0-length string, so "> 4" fails and "< 6" succeeds.
    [Theory]
    [InlineData("ColumnLength \"Postal_Code\" > 4", RuleOutcome.Failed)]
    [InlineData("ColumnLength \"Postal_Code\" < 6", RuleOutcome.Passed)]
    [InlineData("(ColumnLength \"Postal_Code\" > 4) AND (ColumnValues \"Postal_Code\" != NULL)", RuleOutcome.Failed)]
    public async Task ColumnLength_NullIsZeroLength(string rule, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync(rule, """{"Postal_Code":"98101"}""", """{"Postal_Code":null}""");

        Assert.Equal(expected, result.Outcome);
    }

    [Fact]
    public async Task ColumnLength_WithThreshold_ReportsLengthCompliance()
    {
        var result = await Dq.EvaluateRuleAsync("ColumnLength \"c\" = 2 with threshold >= 0.5", """{"c":"US"}""", """{"c":"USA"}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
        Assert.Equal(0.5, result.Metrics["Column.c.LengthCompliance"]);
    }

    [Theory]
    [InlineData("Integer", "\"1\"", RuleOutcome.Passed)]
    [InlineData("INTEGER", "\" -42 \"", RuleOutcome.Passed)]
    [InlineData("Integer", "\"1.5\"", RuleOutcome.Passed)] // Spark's string-to-int cast drops the fraction
    [InlineData("Integer", "\"1e3\"", RuleOutcome.Failed)]
    [InlineData("Integer", "\"3000000000\"", RuleOutcome.Failed)]
    [InlineData("Long", "\"3000000000\"", RuleOutcome.Passed)]
    [InlineData("Double", "\"1e3\"", RuleOutcome.Passed)]
    [InlineData("Double", "\"abc\"", RuleOutcome.Failed)]
    [InlineData("Boolean", "\"yes\"", RuleOutcome.Passed)]
    [InlineData("Boolean", "\"maybe\"", RuleOutcome.Failed)]
    [InlineData("Date", "\"2024-01-31\"", RuleOutcome.Passed)]
    [InlineData("Date", "\"2024-02-30\"", RuleOutcome.Failed)]
    [InlineData("Timestamp", "\"2024-01-31T10:15:00Z\"", RuleOutcome.Passed)]
    [InlineData("Timestamp", "\"2024-01-31T25:00:00\"", RuleOutcome.Failed)]
    [InlineData("Integer", "7", RuleOutcome.Passed)]
    [InlineData("Date", "7", RuleOutcome.Failed)]
    [InlineData("Integer", "null", RuleOutcome.Failed)]
    public async Task ColumnDataType_ChecksSparkCastability(string type, string value, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync($"ColumnDataType \"colA\" = \"{type}\"", $$"""{"colA":{{value}}}""");

        Assert.Equal(expected, result.Outcome);
    }

    [Fact]
    public async Task ColumnDataType_WithThreshold_ComparesCastableFraction()
    {
        var result = await Dq.EvaluateRuleAsync("ColumnDataType \"colA\" = \"INTEGER\" with threshold > 0.6",
            """{"colA":"1"}""", """{"colA":"2"}""", """{"colA":"x"}""", """{"colA":null}""");

        Assert.Equal(RuleOutcome.Failed, result.Outcome);
        Assert.Equal(0.5, result.Metrics["Column.colA.ColumnDataType.Compliance"]);
    }

    // Dq.Now is 2024-06-30T12:00Z. Age is rounded to two decimals of an hour.
    [Theory]
    [InlineData("DataFreshness \"Order_Date\" <= 24 hours", "2024-06-29T12:00:00Z", RuleOutcome.Passed)]
    [InlineData("DataFreshness \"Order_Date\" <= 24 hours", "2024-06-29T11:59:00Z", RuleOutcome.Failed)]
    [InlineData("DataFreshness \"Order_Date\" <= 24 hours", "2024-06-29T11:59:59Z", RuleOutcome.Passed)]
    [InlineData("DataFreshness \"Order_Date\" between 2 days and 5 days", "2024-06-28T12:00:00Z", RuleOutcome.Failed)]
    [InlineData("DataFreshness \"Order_Date\" between 2 days and 5 days", "2024-06-27", RuleOutcome.Passed)]
    [InlineData("DataFreshness \"Order_Date\" > 30 minutes", "2024-06-30T11:00:00Z", RuleOutcome.Passed)]
    public async Task DataFreshness_ComparesAgeInHours(string rule, string value, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync(rule, $$"""{"Order_Date":"{{value}}"}""");

        Assert.Equal(expected, result.Outcome);
    }

    [Fact]
    public async Task DataFreshness_NullRow_FailsWithPercentage()
    {
        var rows = new[] { """{"Order_Date":"2024-06-30T10:00:00Z"}""" }.Concat(Enumerable.Repeat("""{"Order_Date":"2024-06-30T11:00:00Z"}""", 3))
            .Append("""{"Order_Date":null}""").ToArray();

        var result = await Dq.EvaluateRuleAsync("DataFreshness \"Order_Date\" <= 24 hours", rows);

        Assert.Equal(RuleOutcome.Failed, result.Outcome);
        Assert.Equal(0.8, result.Metrics["Column.Order_Date.DataFreshness.Compliance"], 12);
        Assert.StartsWith("80.00 % of rows passed the threshold", result.FailureMessage);
    }
}
