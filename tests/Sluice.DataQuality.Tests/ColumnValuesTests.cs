using Sluice.DataQuality.Evaluation;

namespace Sluice.DataQuality.Tests;

public class ColumnValuesTests
{
    [Fact]
    public async Task In_WithNullEmptyAndWhitespaceKeywords_AcceptsThem()
    {
        var result = await Dq.EvaluateRuleAsync("""ColumnValues "Country" in [ "US", "CA", "UK", NULL, EMPTY, WHITESPACES_ONLY ]""",
            """{"Country":"US"}""", """{"Country":null}""", """{"Country":""}""", """{"Country":"   "}""", """{"other":1}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
        Assert.Equal(1.0, result.Metrics["Column.Country.ColumnValues.Compliance"]);
    }

    [Fact]
    public async Task In_ValueOutsideTheSet_FailsWithCompliance()
    {
        var result = await Dq.EvaluateRuleAsync("""ColumnValues "Country" in [ "US", "CA" ]""",
            """{"Country":"US"}""", """{"Country":"FR"}""", """{"Country":"CA"}""", """{"Country":null}""");

        Assert.Equal(RuleOutcome.Failed, result.Outcome);
        Assert.Equal(0.5, result.Metrics["Column.Country.ColumnValues.Compliance"]);
    }

    [Fact]
    public async Task In_WithoutEmptyKeyword_RejectsEmptyString()
    {
        var result = await Dq.EvaluateRuleAsync("""ColumnValues "c" in [ "US" ]""", """{"c":"US"}""", """{"c":""}""");

        Assert.Equal(RuleOutcome.Failed, result.Outcome);
    }

    [Theory]
    [InlineData("> 0.8", RuleOutcome.Failed)]
    [InlineData(">= 0.8", RuleOutcome.Passed)]
    [InlineData("between 0.7 and 0.9", RuleOutcome.Passed)]
    [InlineData("between 0.8 and 0.9", RuleOutcome.Failed)]
    public async Task WithThreshold_ComparesCompliantFraction(string threshold, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync($"""ColumnValues "colA" in ["A", "B"] with threshold {threshold}""",
            """{"colA":"A"}""", """{"colA":"B"}""", """{"colA":"A"}""", """{"colA":"B"}""", """{"colA":"C"}""");

        Assert.Equal(expected, result.Outcome);
        Assert.Equal(0.8, result.Metrics["Column.colA.ColumnValues.Compliance"], 12);
    }

    // "between" is exclusive in DQDL: between 1 and 2000 means 1 < x < 2000.
    [Theory]
    [InlineData("2", RuleOutcome.Passed)]
    [InlineData("1999", RuleOutcome.Passed)]
    [InlineData("1", RuleOutcome.Failed)]
    [InlineData("2000", RuleOutcome.Failed)]
    [InlineData("\"1500\"", RuleOutcome.Passed)]
    [InlineData("\"abc\"", RuleOutcome.Failed)]
    [InlineData("null", RuleOutcome.Failed)]
    public async Task Between_BoundsAreExclusive(string value, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync("""ColumnValues "Customer_ID" between 1 and 2000""", $$"""{"Customer_ID":{{value}}}""");

        Assert.Equal(expected, result.Outcome);
    }

    // "not between" is inclusive: not between 1 and 2000 means x <= 1 or x >= 2000.
    [Theory]
    [InlineData("1", RuleOutcome.Passed)]
    [InlineData("2000", RuleOutcome.Passed)]
    [InlineData("1000", RuleOutcome.Failed)]
    public async Task NotBetween_BoundsAreInclusive(string value, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync("""ColumnValues "n" not between 1 and 2000""", $$"""{"n":{{value}}}""");

        Assert.Equal(expected, result.Outcome);
    }

    // ColumnValues reference, Null behavior: nulls fail every expression but != and not in.
    [Theory]
    [InlineData("ColumnValues \"Age\" > 21", RuleOutcome.Failed)]
    [InlineData("ColumnValues \"Age\" = 22", RuleOutcome.Failed)]
    [InlineData("ColumnValues \"Age\" in [22]", RuleOutcome.Failed)]
    [InlineData("ColumnValues \"Age\" != 21", RuleOutcome.Passed)]
    [InlineData("ColumnValues \"Age\" not in [21, 22, 23]", RuleOutcome.Failed)]
    [InlineData("ColumnValues \"Age\" not in [21, 23]", RuleOutcome.Passed)]
    [InlineData("ColumnValues \"Age\" not in [21, 23, NULL]", RuleOutcome.Failed)]
    [InlineData("ColumnValues \"Age\" in [22, NULL]", RuleOutcome.Passed)]
    [InlineData("ColumnValues \"Age\" != NULL", RuleOutcome.Failed)]
    [InlineData("ColumnValues \"Age\" != NULL with threshold >= 0.5", RuleOutcome.Passed)]
    public async Task NullRows_FollowReferenceNullBehavior(string rule, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync(rule, """{"Age":22}""", """{"Age":null}""");

        Assert.Equal(expected, result.Outcome);
    }

    [Fact]
    public async Task EqualsNull_OnlyNullRows_Passes()
    {
        var result = await Dq.EvaluateRuleAsync("""ColumnValues "Age" = NULL""", """{"Age":null}""", """{"x":1}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
    }

    // Reference "How Composite rules work": each operand is judged over the whole column, then combined.
    [Fact]
    public async Task CompositeOr_ReferenceExample_FailsAtDatasetLevel()
    {
        var result = await Dq.EvaluateRuleAsync("""(ColumnValues "myCol1" > 1) OR (ColumnValues "myCol2" > 2)""",
            """{"myCol1":2,"myCol2":1}""", """{"myCol1":0,"myCol2":3}""");

        Assert.Equal(RuleOutcome.Failed, result.Outcome);
        Assert.Equal(2, result.Children.Count);
        Assert.All(result.Children, child => Assert.Equal(RuleOutcome.Failed, child.Outcome));
    }

    [Theory]
    [InlineData("\"Ann\"", RuleOutcome.Passed)]
    [InlineData("\"\"", RuleOutcome.Passed)]
    [InlineData("\"Ann1\"", RuleOutcome.Failed)]
    [InlineData("\"x Ann\"", RuleOutcome.Failed)]
    [InlineData("null", RuleOutcome.Failed)]
    public async Task Matches_WholeValueMustMatch(string value, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync("""ColumnValues "First_Name" matches "[a-zA-Z]*" """, $$"""{"First_Name":{{value}}}""");

        Assert.Equal(expected, result.Outcome);
    }

    [Theory]
    [InlineData("\"Ann1\"", RuleOutcome.Passed)]
    [InlineData("\"Ann\"", RuleOutcome.Failed)]
    [InlineData("null", RuleOutcome.Failed)]
    public async Task NotMatches_NegatesWholeValueMatch(string value, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync("""ColumnValues "First_Name" not matches "[a-zA-Z]*" """, $$"""{"First_Name":{{value}}}""");

        Assert.Equal(expected, result.Outcome);
    }

    [Fact]
    public async Task Matches_EscapedUnicodeValue_IsUnescapedBeforeMatching()
    {
        var result = await Dq.EvaluateRuleAsync("""ColumnValues "n" matches "caf\u00e9|naïve" """, """{"n":"caf\u00e9"}""", """{"n":"naïve"}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
    }

    // Dq.Now is 2024-06-30T12:00Z, so now() - 3 days is 2024-06-27T12:00Z.
    [Theory]
    [InlineData("ColumnValues \"Load_Date\" > (now() - 3 days)", "2024-06-27T12:00:01Z", RuleOutcome.Passed)]
    [InlineData("ColumnValues \"Load_Date\" > (now() - 3 days)", "2024-06-27T12:00:00Z", RuleOutcome.Failed)]
    [InlineData("ColumnValues \"Load_Date\" > now() - 72 hours", "2024-06-29", RuleOutcome.Passed)]
    [InlineData("ColumnValues \"Load_Date\" <= now()", "2024-06-30T14:00:00+02:00", RuleOutcome.Passed)]
    [InlineData("ColumnValues \"Load_Date\" > (now() - 3 days)", "not a date", RuleOutcome.Failed)]
    [InlineData("ColumnValues \"colA\" = \"2022-06-30\"", "2022-06-30T10:00:00Z", RuleOutcome.Passed)]
    [InlineData("ColumnValues \"colA\" between \"2022-05-31\" and \"2022-06-30\"", "2022-06-15", RuleOutcome.Passed)]
    [InlineData("ColumnValues \"colA\" between \"2022-05-31\" and \"2022-06-30\"", "2022-06-30T10:00:00Z", RuleOutcome.Failed)]
    [InlineData("ColumnValues \"colA\" not between \"2022-05-31\" and \"2022-06-30\"", "2022-05-31", RuleOutcome.Passed)]
    [InlineData("ColumnValues \"colA\" in [NULL, \"2023-01-01\"]", "2023-01-01", RuleOutcome.Passed)]
    public async Task DateExpressions_CompareDatesAndInstants(string rule, string value, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync(rule, $$"""{"Load_Date":"{{value}}","colA":"{{value}}"}""");

        Assert.Equal(expected, result.Outcome);
    }

    [Fact]
    public async Task NumericIn_MatchesEqualNumbersWrittenDifferently()
    {
        var result = await Dq.EvaluateRuleAsync("""ColumnValues "n" in [ 1, 2, 3 ]""", """{"n":1.0}""", """{"n":"2"}""", """{"n":3e0}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
    }

    [Theory]
    [InlineData("ColumnValues \"s\" = \"a\"", RuleOutcome.Failed)]
    [InlineData("ColumnValues \"s\" != \"b\"", RuleOutcome.Passed)]
    [InlineData("ColumnValues \"s\" != \"a\"", RuleOutcome.Failed)]
    [InlineData("ColumnValues \"s\" not in [\"b\", \"c\"]", RuleOutcome.Passed)]
    public async Task StringComparisons_NullPassesOnlyNegations(string rule, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync(rule, """{"s":"a"}""", """{"s":null}""");

        Assert.Equal(expected, result.Outcome);
    }

    [Fact]
    public async Task LargeInList_UsesSetLookup_SameAnswer()
    {
        var countries = string.Join(", ", Enumerable.Range(0, 50).Select(i => $"\"C{i}\""));
        var result = await Dq.EvaluateRuleAsync($"ColumnValues \"c\" in [ {countries} ] with threshold = 0.5", """{"c":"C49"}""", """{"c":"C50"}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
    }
}
