using Sluice.DataQuality.Evaluation;

namespace Sluice.DataQuality.Tests;

/// <summary>Completeness, IsComplete, IsUnique, Uniqueness, UniqueValueRatio, DistinctValuesCount, IsPrimaryKey, Entropy.</summary>
public class CompletenessAndUniquenessTests
{
    // Null and a missing key are incomplete; the empty string is a value (Completeness reference, Null behavior).
    private static readonly string[] MixedNulls = ["""{"a":"x"}""", """{"a":null}""", """{"a":""}""", """{"b":1}"""];

    [Theory]
    [InlineData("Completeness \"a\" >= 0.5", RuleOutcome.Passed)]
    [InlineData("Completeness \"a\" > 0.5", RuleOutcome.Failed)]
    [InlineData("Completeness \"a\" between 0.5 and 1", RuleOutcome.Failed)]
    [InlineData("Completeness \"a\" not between 0.5 and 1", RuleOutcome.Passed)]
    [InlineData("Completeness \"a\" = \"0.5\"", RuleOutcome.Passed)]
    public async Task Completeness_NullsMissingKeysAndEmptyString_CountsOnlyNonNull(string rule, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync(rule, MixedNulls);

        Assert.Equal(expected, result.Outcome);
        Assert.Equal(0.5, result.Metrics["Column.a.Completeness"]);
    }

    [Fact]
    public async Task IsComplete_EmptyStrings_Passes()
    {
        var result = await Dq.EvaluateRuleAsync("IsComplete \"email\"", """{"email":""}""", """{"email":"a@b.c"}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
        Assert.Equal(1.0, result.Metrics["Column.email.Completeness"]);
    }

    [Fact]
    public async Task IsComplete_RowWithoutTheKey_Fails()
    {
        var result = await Dq.EvaluateRuleAsync("IsComplete \"email\"", """{"email":"a@b.c"}""", """{"name":"x"}""");

        Assert.Equal(RuleOutcome.Failed, result.Outcome);
        Assert.Equal(0.5, result.Metrics["Column.email.Completeness"]);
        Assert.NotNull(result.FailureMessage);
    }

    [Theory]
    [InlineData("IsComplete \"zzz\"")]
    [InlineData("Completeness \"zzz\" > 0")]
    [InlineData("IsUnique \"zzz\"")]
    [InlineData("ColumnValues \"zzz\" != 1")]
    [InlineData("Mean \"zzz\" > 0")]
    [InlineData("ColumnLength \"zzz\" < 10")]
    [InlineData("ColumnCorrelation \"a\" \"zzz\" > 0.5")]
    [InlineData("IsPrimaryKey \"a\" \"zzz\"")]
    public async Task ColumnRule_MissingColumn_ErrorNamingTheColumn(string rule)
    {
        // The rule cannot be evaluated without its column: an Error with the reason, not a verdict on the data.
        var result = await Dq.EvaluateRuleAsync(rule, """{"a":1}""");

        Assert.Equal(RuleOutcome.Error, result.Outcome);
        Assert.Equal("Input data does not include column zzz!", result.FailureMessage);
    }

    [Fact]
    public async Task ColumnExists_MissingColumn_FailsNamingTheColumn()
    {
        var result = await Dq.EvaluateRuleAsync("ColumnExists \"zzz\"", """{"a":1}""");

        Assert.Equal(RuleOutcome.Failed, result.Outcome);
        Assert.Equal("Input data does not include column zzz!", result.FailureMessage);
    }

    [Fact]
    public async Task ColumnExists_ColumnOnlyEverNull_Passes()
    {
        var result = await Dq.EvaluateRuleAsync("ColumnExists \"a\"", """{"a":null}""", """{"b":2}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
    }

    [Fact]
    public async Task IsUnique_NullsAreNotDuplicates_Passes()
    {
        var result = await Dq.EvaluateRuleAsync("IsUnique \"id\"", """{"id":1}""", """{"id":2}""", """{"id":null}""", """{"id":null}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
        Assert.Equal(1.0, result.Metrics["Column.id.Uniqueness"]);
    }

    [Fact]
    public async Task IsUnique_SameNumberWrittenTwoWays_Fails()
    {
        var result = await Dq.EvaluateRuleAsync("IsUnique \"id\"", """{"id":1}""", """{"id":1.0}""", """{"id":2}""");

        Assert.Equal(RuleOutcome.Failed, result.Outcome);
        Assert.Equal(1 / 3.0, result.Metrics["Column.id.Uniqueness"], 12);
    }

    [Fact]
    public async Task IsUnique_StringAndNumberWithSameText_AreDifferentValues()
    {
        var result = await Dq.EvaluateRuleAsync("IsUnique \"id\"", """{"id":"1"}""", """{"id":1}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
    }

    // "Unique values occur exactly once" over the non-null rows: [a, a, b, c, null] -> 2 / 4.
    [Fact]
    public async Task Uniqueness_ValuesOccurringOnce_DividedByNonNullRows()
    {
        var result = await Dq.EvaluateRuleAsync("Uniqueness \"v\" = 0.5",
            """{"v":"a"}""", """{"v":"a"}""", """{"v":"b"}""", """{"v":"c"}""", """{"v":null}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
        Assert.Equal(0.5, result.Metrics["Column.v.Uniqueness"]);
    }

    [Fact]
    public async Task Uniqueness_MultipleColumns_CountsCombinations()
    {
        var result = await Dq.EvaluateRuleAsync("Uniqueness \"vendorid\" \"ts\" = 1",
            """{"vendorid":1,"ts":"a"}""", """{"vendorid":1,"ts":"b"}""", """{"vendorid":2,"ts":"a"}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
        Assert.Equal(1.0, result.Metrics["Multicolumn.vendorid,ts.Uniqueness"]);
    }

    [Fact]
    public async Task IsUnique_MultipleColumnsWithRepeatedPair_Fails()
    {
        var result = await Dq.EvaluateRuleAsync("IsUnique \"a\" \"b\"",
            """{"a":"x","b":"yz"}""", """{"a":"xy","b":"z"}""", """{"a":"x","b":"yz"}""");

        Assert.Equal(RuleOutcome.Failed, result.Outcome);
        Assert.Equal(1 / 3.0, result.Metrics["Multicolumn.a,b.Uniqueness"], 12);
    }

    // The reference's example: [a, a, b] has one unique and two distinct values, ratio 0.5.
    [Fact]
    public async Task UniqueValueRatio_ReferenceExample_IsOneHalf()
    {
        var result = await Dq.EvaluateRuleAsync("UniqueValueRatio \"v\" between 0.4 and 0.6", """{"v":"a"}""", """{"v":"a"}""", """{"v":"b"}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
        Assert.Equal(0.5, result.Metrics["Column.v.UniqueValueRatio"]);
    }

    [Theory]
    [InlineData("DistinctValuesCount \"State\" > 3", RuleOutcome.Failed)]
    [InlineData("DistinctValuesCount \"State\" = 2", RuleOutcome.Passed)]
    public async Task DistinctValuesCount_IgnoresNullsAndRepeats(string rule, RuleOutcome expected)
    {
        var result = await Dq.EvaluateRuleAsync(rule, """{"State":"WA"}""", """{"State":"WA"}""", """{"State":"OR"}""", """{"State":null}""");

        Assert.Equal(expected, result.Outcome);
        Assert.Equal(2, result.Metrics["Column.State.DistinctValuesCount"]);
    }

    [Fact]
    public async Task IsPrimaryKey_UniqueAndComplete_Passes()
    {
        var result = await Dq.EvaluateRuleAsync("IsPrimaryKey \"id\"", """{"id":1}""", """{"id":2}""", """{"id":3}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
        Assert.Equal(1.0, result.Metrics["Column.id.Uniqueness"]);
        Assert.Equal(1.0, result.Metrics["Column.id.Completeness"]);
    }

    [Fact]
    public async Task IsPrimaryKey_UniqueButWithNull_Fails()
    {
        var result = await Dq.EvaluateRuleAsync("IsPrimaryKey \"id\"", """{"id":1}""", """{"id":2}""", """{"id":null}""");

        Assert.Equal(RuleOutcome.Failed, result.Outcome);
        Assert.Equal(1.0, result.Metrics["Column.id.Uniqueness"]);
        Assert.Equal(2 / 3.0, result.Metrics["Column.id.Completeness"], 12);
    }

    [Fact]
    public async Task IsPrimaryKey_CompositeKey_PassesWhenPairsAreUnique()
    {
        var result = await Dq.EvaluateRuleAsync("IsPrimaryKey \"order\" \"line\"",
            """{"order":1,"line":1}""", """{"order":1,"line":2}""", """{"order":2,"line":1}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
        Assert.Equal(1.0, result.Metrics["Multicolumn.order,line.Uniqueness"]);
    }

    [Fact]
    public async Task Entropy_TwoEquallyLikelyValues_IsLnTwo()
    {
        var result = await Dq.EvaluateRuleAsync("Entropy \"Star_Rating\" > 0.69",
            """{"Star_Rating":4}""", """{"Star_Rating":5}""", """{"Star_Rating":4}""", """{"Star_Rating":5}""", """{"Star_Rating":null}""");

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
        Assert.Equal(Math.Log(2), result.Metrics["Column.Star_Rating.Entropy"], 12);
    }

    [Fact]
    public async Task Entropy_SingleValue_IsZero()
    {
        var result = await Dq.EvaluateRuleAsync("Entropy \"x\" > 0", """{"x":"a"}""", """{"x":"a"}""");

        Assert.Equal(RuleOutcome.Failed, result.Outcome);
        Assert.Equal(0.0, result.Metrics["Column.x.Entropy"]);
    }
}
