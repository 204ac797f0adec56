using Sluice.DataQuality.Model;
using Sluice.DataQuality.Parsing;

namespace Sluice.DataQuality.Tests;

public class DqdlParserTests
{
    /// <summary>Rule examples from the AWS Glue DQDL reference (rule type pages and Expressions table).</summary>
    [Theory]
    [InlineData("RowCount between 10 and 20", RuleType.RowCount)]
    [InlineData("ColumnCount between 10 and 20", RuleType.ColumnCount)]
    [InlineData("Completeness \"First_Name\" > 0.95", RuleType.Completeness)]
    [InlineData("Completeness \"colA\" = \"1.0\"", RuleType.Completeness)]
    [InlineData("IsComplete \"email\"", RuleType.IsComplete)]
    [InlineData("IsUnique \"email\"", RuleType.IsUnique)]
    [InlineData("IsUnique \"vendorid\" \"tpep_pickup_datetime\"", RuleType.IsUnique)]
    [InlineData("Uniqueness \"email\" = 1.0", RuleType.Uniqueness)]
    [InlineData("Uniqueness \"vendorid\" \"tpep_pickup_datetime\" = 1", RuleType.Uniqueness)]
    [InlineData("UniqueValueRatio \"test_score\" between 0 and 0.5", RuleType.UniqueValueRatio)]
    [InlineData("IsPrimaryKey \"Customer_ID\"", RuleType.IsPrimaryKey)]
    [InlineData("DistinctValuesCount \"State\" > 3", RuleType.DistinctValuesCount)]
    [InlineData("ColumnValues \"Country\" in [ \"US\", \"CA\", \"UK\", NULL, EMPTY, WHITESPACES_ONLY ]", RuleType.ColumnValues)]
    [InlineData("ColumnValues \"First_Name\" matches \"[a-zA-Z]*\"", RuleType.ColumnValues)]
    [InlineData("ColumnValues \"Load_Date\" > (now() - 3 days)", RuleType.ColumnValues)]
    [InlineData("ColumnValues \"Customer_ID\" between 1 and 2000", RuleType.ColumnValues)]
    [InlineData("ColumnValues \"colA\" not between \"2022-05-31\" and \"2022-06-30\"", RuleType.ColumnValues)]
    [InlineData("ColumnValues \"colA\" not in [ 1, 2, 3 ]", RuleType.ColumnValues)]
    [InlineData("ColumnValues \"colA\" not matches \"[a-zA-Z]*\"", RuleType.ColumnValues)]
    [InlineData("ColumnValues \"colA\" in [\"A\", \"B\"] with threshold > 0.8", RuleType.ColumnValues)]
    [InlineData("ColumnValues \"colA\" matches \"[a-zA-Z]*\" with threshold between 0.2 and 0.9", RuleType.ColumnValues)]
    [InlineData("ColumnValues \"colA\" != NULL with threshold > 0.5", RuleType.ColumnValues)]
    [InlineData("ColumnValues \"colA\" in [NULL, \"2023-01-01\"]", RuleType.ColumnValues)]
    [InlineData("ColumnLength \"Postal_Code\" = 5", RuleType.ColumnLength)]
    [InlineData("ColumnExists \"Customer_ID\"", RuleType.ColumnExists)]
    [InlineData("ColumnDataType \"colA\" = \"Timestamp\" with threshold > 0.9", RuleType.ColumnDataType)]
    [InlineData("ColumnDataType \"colA\" = \"INTEGER\"", RuleType.ColumnDataType)]
    [InlineData("Mean \"Star_Rating\" > 3", RuleType.Mean)]
    [InlineData("Sum \"transaction_total\" > 500000", RuleType.Sum)]
    [InlineData("StandardDeviation \"Star_Rating\" < 1.5", RuleType.StandardDeviation)]
    [InlineData("Entropy \"Star_Rating\" > 1", RuleType.Entropy)]
    [InlineData("DataFreshness \"Order_Date\" <= 24 hours", RuleType.DataFreshness)]
    [InlineData("DataFreshness \"Order_Date\" between 2 days and 5 days", RuleType.DataFreshness)]
    [InlineData("CustomSql \"select count(*) from primary\" between 10 and 20", RuleType.CustomSql)]
    [InlineData("CustomSql \"select Name from primary where Age > 18\" with threshold > 3", RuleType.CustomSql)]
    public void Parse_ReferenceExample_YieldsRuleOfItsType(string rule, RuleType expected)
    {
        var ruleset = DqdlParser.Parse($"Rules = [ {rule} ]");

        var parsed = Assert.IsType<SimpleRule>(Assert.Single(ruleset.Rules));
        Assert.Equal(expected, parsed.Type);
        Assert.Equal(rule, parsed.Text);
    }

    [Fact]
    public void Parse_MultiLineRulesetWithComments_KeepsOrderAndPositions()
    {
        var ruleset = DqdlParser.Parse("""
            # order checks
            Rules = [
                IsComplete "order-id",
                # uniqueness
                IsUnique "order-id"
            ]
            """);

        Assert.Equal(2, ruleset.Rules.Count);
        Assert.Equal("IsUnique \"order-id\"", ruleset.Rules[1].Text);
        Assert.Equal(5, ruleset.Rules[1].Line);
        Assert.Equal(5, ruleset.Rules[1].Column);
    }

    [Fact]
    public void Parse_BetweenBoundsAndThreshold_KeepsOperands()
    {
        var rule = (SimpleRule)DqdlParser.Parse("""Rules = [ ColumnValues "x" between -1.5 and 5 with threshold >= 0.9 ]""").Rules[0];

        Assert.Equal(ConditionOperator.Between, rule.Condition!.Operator);
        Assert.Equal([-1.5, 5.0], rule.Condition.Operands.Select(o => o.Number));
        Assert.Equal(ConditionOperator.GreaterThanOrEqual, rule.Threshold!.Operator);
        Assert.Equal(0.9, rule.Threshold.Operands[0].Number);
    }

    [Fact]
    public void Parse_NowMinusDaysWithoutParentheses_IsDateThreeDaysBack()
    {
        var rule = (SimpleRule)DqdlParser.Parse("""Rules = [ ColumnValues "d" >= now() - 3 days ]""").Rules[0];

        var date = rule.Condition!.Operands[0].Date!;
        Assert.False(date.IsLiteralDate);
        Assert.Equal(TimeSpan.FromDays(-3), date.OffsetFromNow);
    }

    [Fact]
    public void Parse_NestedComposite_BuildsTree()
    {
        var rule = DqdlParser.Parse("""Rules = [ (RowCount > 0) or ((IsComplete "colA") and (IsUnique "colA")) ]""").Rules[0];

        var or = Assert.IsType<CompositeRule>(rule);
        Assert.Equal(LogicalOperator.Or, or.Operator);
        var and = Assert.IsType<CompositeRule>(or.Operands[1]);
        Assert.Equal(LogicalOperator.And, and.Operator);
        Assert.Equal(2, and.Operands.Count);
    }

    [Fact]
    public void Parse_ConstantReference_SubstitutesSql()
    {
        var rule = (SimpleRule)DqdlParser.Parse("""
            mySql = "select count(*) from primary"
            Rules = [ CustomSql $mySql between 0 and 100 ]
            """).Rules[0];

        Assert.Equal("select count(*) from primary", rule.Parameters[0]);
    }

    [Fact]
    public void Parse_EscapedQuoteInColumnName_Unescapes()
    {
        var rule = (SimpleRule)DqdlParser.Parse("Rules = [ IsComplete \"a\\\"b\" ]").Rules[0];

        Assert.Equal("a\"b", rule.Parameters[0]);
    }

    [Fact]
    public void Parse_EmptyRuleList_HasNoRules()
    {
        Assert.Empty(DqdlParser.Parse("Rules = [ ]").Rules);
    }

    [Theory]
    [InlineData("Rules = [\n    IsComplete \"a\",\n    IsCompleet \"b\"\n]", 3, 5, "Unknown rule type 'IsCompleet'")]
    [InlineData("Rules = [ Completeness \"a\" ]", 1, 28, "Expected an expression")]
    [InlineData("Rules = [ IsComplete \"abc ]", 1, 22, "Unterminated string")]
    [InlineData("Rules = [ (IsComplete \"a\") and (IsUnique \"a\") or (RowCount > 1) ]", 1, 47, "Cannot mix 'and' and 'or'")]
    [InlineData("Rules = [ IsComplete \"a\" and (IsUnique \"a\") ]", 1, 11, "must be enclosed in parentheses")]
    [InlineData("Rules = [\r\n  IsComplete \"a\"\r\n  IsUnique \"b\"\r\n]", 3, 3, "Expected ',' or ']'")]
    [InlineData("Rules = [ Mean \"x\" between 1 5 ]", 1, 30, "Expected 'and'")]
    [InlineData("Rules = [ ColumnDataType \"x\" = \"Strng\" ]", 1, 32, "Unknown data type")]
    [InlineData("Rules = [ Mean \"x\" > 1 with threshold > 0.5 ]", 1, 24, "does not take 'with threshold'")]
    [InlineData("Rules = [ ColumnValues \"x\" matches \"[a-\" ]", 1, 36, "Invalid regular expression")]
    [InlineData("[ IsComplete \"a\" ]", 1, 1, "Expected 'Rules = [ ... ]'")]
    [InlineData("# comment\n\tRules = [ Foo ]", 2, 12, "Unknown rule type 'Foo'")]
    [InlineData("Rules = [ DataFreshness \"d\" <= 24 ]", 1, 35, "Expected a time unit")]
    [InlineData("Rules = [ IsComplete \"a\" ] extra", 1, 28, "Unexpected text after")]
    [InlineData("Rules = [ IsComplete \"a\" > 1 ]", 1, 26, "takes no expression")]
    [InlineData("Rules = [ IsComplete ]", 1, 22, "Expected a quoted column name")]
    [InlineData("Rules = [ Mean \"x\" > \"abc\" ]", 1, 22, "Expected a number")]
    [InlineData("Rules = [ RowCount > avg(3) ]", 1, 26, "Expected last(k) inside avg()")]
    [InlineData("Rules = [ RowCount > last(0) ]", 1, 27, "whole number k from 1")]
    [InlineData("Rules = [ ColumnValues \"a\" > avg(last(3)) ]", 1, 30, "apply only to numeric metrics")]
    [InlineData("Rules = [ AllStatistics \"a\" ]", 1, 11, "analyzer only")]
    [InlineData("Rules = [ FooBar \"a\" ]", 1, 11, "Unknown rule type 'FooBar'")]
    [InlineData("Analyzers = [ Completeness \"a\" > 0.5 ]", 1, 32, "Analyzers take no expression")]
    [InlineData("Rules = [ ColumnCorrelation \"a\" > 0.5 ]", 1, 33, "takes 2 quoted parameters")]
    [InlineData("Rules = [ ColumnValues \"x\" > \"abc\" ]", 1, 30, "Expected a number or a date")]
    [InlineData("Rules = [ IsComplete \"a\",\n  IsUnique \"a\" \"b\",\n  ColumnLength \"c\" between 1 and ]", 3, 34, "Expected a number")]
    public void Parse_InvalidRuleset_ReportsLineAndColumn(string text, int line, int column, string reason)
    {
        var error = Assert.Throws<DqdlParseException>(() => DqdlParser.Parse(text));

        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(reason, error.Reason);
        Assert.Contains($"line {line}, column {column}", error.Message);
    }
}
