using System.Text;
using Sluice.DataQuality.Data;
using Sluice.DataQuality.Evaluation;
using Sluice.DataQuality.Model;
using Sluice.DataQuality.Parsing;

namespace Sluice.DataQuality.Tests;

/// <summary>
/// Rule types and sections beyond the single-table basics: ColumnCorrelation, ColumnNamesMatchPattern, rules that
/// cannot be evaluated (Error per rule, the ruleset still scored), Analyzers and dynamic rules. Cases from the DQDL
/// rule type reference and awslabs/deequ EvaluateDataQualitySpec; expected values worked out by hand.
/// </summary>
public class FullReferenceTests
{
    // deequ FixtureSupport.getDfWithNumericValues: item, att1, att2, att3.
    private static readonly string[] NumericValues =
    [
        """{"item":"1","att1":1,"att2":0,"att3":0}""",
        """{"item":"2","att1":2,"att2":0,"att3":0}""",
        """{"item":"3","att1":3,"att2":0,"att3":0}""",
        """{"item":"4","att1":4,"att2":5,"att3":4}""",
        """{"item":"5","att1":5,"att2":6,"att3":6}""",
        """{"item":"6","att1":6,"att2":7,"att3":7}""",
    ];

    [Fact]
    public async Task ColumnCorrelation_DeequExample_PassesWithPearsonValue()
    {
        // n=6, Σx=18, Σy=17, Σxy=105, Σx²=110, Σy²=101: r = (6·105 − 18·17) / sqrt((6·110 − 18²)(6·101 − 17²)) = 324 / sqrt(336·317).
        var result = await EvaluateOneAsync("""ColumnCorrelation "att2" "att3" > 0.8""", NumericValues);

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
        var r = result.Metrics["Multicolumn.att2,att3.ColumnCorrelation"];
        Assert.Equal(324 / Math.Sqrt(336.0 * 317.0), r, 12);
        Assert.Equal(99, (int)(r * 100));
    }

    [Fact]
    public async Task ColumnCorrelation_PerfectNegative_IsMinusOne_AndSkipsNonNumericRows()
    {
        string[] rows = ["""{"a":1,"b":10}""", """{"a":2,"b":8}""", """{"a":3,"b":6}""", """{"a":null,"b":1}""", """{"a":"x","b":2}"""];

        var result = await EvaluateOneAsync("""ColumnCorrelation "a" "b" < -0.99""", rows);

        Assert.Equal(RuleOutcome.Passed, result.Outcome);
        Assert.Equal(-1.0, result.Metrics["Multicolumn.a,b.ColumnCorrelation"], 12);
    }

    [Fact]
    public async Task ColumnCorrelation_ConstantColumn_FailsAsUndefined()
    {
        string[] rows = ["""{"a":1,"b":5}""", """{"a":2,"b":5}""", """{"a":3,"b":5}"""];

        var result = await EvaluateOneAsync("""ColumnCorrelation "a" "b" > 0""", rows);

        Assert.Equal(RuleOutcome.Failed, result.Outcome);
        Assert.Contains("constant", result.FailureMessage);
    }

    [Theory]
    // deequ: "col_.*" matches all of col_one, col_two; fails naming 'other'; "Province.*" matches none.
    [InlineData("""{"col_one":"a","col_two":"b"}""", "col_.*", RuleOutcome.Passed, 1.0, null)]
    [InlineData("""{"col_one":"a","col_two":"b","other":"c"}""", "col_.*", RuleOutcome.Failed, 2.0 / 3, "other")]
    [InlineData("""{"State Name":"a","State Abbreviation":"b"}""", "Province.*", RuleOutcome.Failed, 0.0, "State Name, State Abbreviation")]
    // The reference's example: every column starts with aws_.
    [InlineData("""{"aws_id":1,"aws_name":"x"}""", "aws_.*", RuleOutcome.Passed, 1.0, null)]
    public async Task ColumnNamesMatchPattern_ReportsRatioAndUnmatchedNames(string row, string pattern, RuleOutcome expected, double ratio, string? named)
    {
        var result = await EvaluateOneAsync($"ColumnNamesMatchPattern \"{pattern}\"", [row]);

        Assert.Equal(expected, result.Outcome);
        Assert.Equal(ratio, result.Metrics["Dataset.*.ColumnNamesPatternMatchRatio"], 12);
        if (named is not null)
        {
            Assert.Contains(named, result.FailureMessage);
        }
    }

    [Fact]
    public async Task UnevaluableRules_EachEndInErrorWithReason_OthersStillScored()
    {
        var scorecard = await Dq.EvaluateAsync("""
            Rules = [
                RowCount = 6,
                FileSize "s3://bucket/file.csv" > 1 MB,
                DetectAnomalies "RowCount",
                ColumnExists "item" where "att1 > 2",
                ReferentialIntegrity "item" "ref.{id}" = 1.0,
                FileFreshness "s3://bucket/" > (now() - 24 hours),
                (IsComplete "item") and (SchemaMatch "ref" = 1.0)
            ]
            """, NumericValues);

        Assert.Equal(7, scorecard.Rules.Count);
        Assert.Equal(RuleOutcome.Passed, scorecard.Rules[0].Outcome);
        Assert.All(scorecard.Rules.Skip(1), rule => Assert.Equal(RuleOutcome.Error, rule.Outcome));
        Assert.Contains("file rules", scorecard.Rules[1].FailureMessage);
        Assert.Contains("anomaly", scorecard.Rules[2].FailureMessage);
        Assert.Contains("does not take a 'where' clause", scorecard.Rules[3].FailureMessage);
        Assert.Contains("other datasets", scorecard.Rules[4].FailureMessage);
        Assert.Equal(RuleOutcome.Passed, scorecard.Rules[6].Children[0].Outcome);
        Assert.Equal(1.0 / 7, scorecard.Score, 12);
    }

    [Fact]
    public async Task Analyzers_ReportMetricsWithoutAffectingScore()
    {
        var scorecard = await Dq.EvaluateAsync("""
            Rules = [ RowCount > 100 ]
            Analyzers = [ RowCount, Completeness "att2", Mean "att2", ColumnCorrelation "att2" "att3", ColumnLength "item", Completeness "nope" ]
            """, NumericValues);

        Assert.Equal(0.0, scorecard.Score);
        Assert.Equal(6, scorecard.Analyzers.Count);
        Assert.Equal(6.0, scorecard.Analyzers[0].Metrics["Dataset.*.RowCount"]);
        Assert.Equal(1.0, scorecard.Analyzers[1].Metrics["Column.att2.Completeness"]);
        Assert.Equal(3.0, scorecard.Analyzers[2].Metrics["Column.att2.Mean"]);
        Assert.Equal(324 / Math.Sqrt(336.0 * 317.0), scorecard.Analyzers[3].Metrics["Multicolumn.att2,att3.ColumnCorrelation"], 12);
        Assert.Equal(1.0, scorecard.Analyzers[4].Metrics["Column.item.MaximumLength"]);
        Assert.Null(scorecard.Analyzers[0].Error);
        Assert.Equal("Input data does not include column nope!", scorecard.Analyzers[5].Error);
    }

    private sealed class History(Dictionary<(string Rule, string Metric), double[]> values) : IMetricHistory
    {
        public IReadOnlyList<double> Values(string rule, string metric) => values.TryGetValue((rule, metric), out var found) ? found : [];
    }

    [Theory]
    // History of RowCount, most recent first: 10, 4, 6 (avg of last(3) = 20/3; of last(2) = 7).
    [InlineData("RowCount > avg(last(3))", RuleOutcome.Failed)]            // 6 > 6.67
    [InlineData("RowCount >= avg(last(3)) * 0.9", RuleOutcome.Passed)]     // 6 >= 6.0
    [InlineData("RowCount < avg(last(2))", RuleOutcome.Passed)]            // 6 < 7
    [InlineData("RowCount between min(last(3)) and max(last(3))", RuleOutcome.Passed)] // 4 < 6 < 10
    [InlineData("RowCount = index(last(3), 2)", RuleOutcome.Passed)]       // third most recent: 6
    [InlineData("RowCount > last(1) - 5", RuleOutcome.Passed)]             // 6 > 5
    [InlineData("RowCount <= abs(4 - last(1))", RuleOutcome.Passed)]       // 6 <= 6
    [InlineData("RowCount = median(last(3))", RuleOutcome.Passed)]         // median of 4, 6, 10
    [InlineData("RowCount > sum(last(2)) / 2", RuleOutcome.Failed)]        // 6 > 7
    public async Task DynamicRule_ComparesWithMetricHistory(string rule, RuleOutcome expected)
    {
        var history = new History(new() { [(rule, "Dataset.*.RowCount")] = [10, 4, 6] });
        var options = new EvaluationOptions { TimeProvider = Dq.Options().TimeProvider, MetricHistory = history };

        var scorecard = await Dq.EvaluateAsync($"Rules = [ {rule} ]", NumericValues, options);

        var result = Assert.Single(scorecard.Rules);
        Assert.Equal(expected, result.Outcome);
        Assert.Equal(6.0, result.Metrics["Dataset.*.RowCount"]);
        Assert.True(DqdlParser.Parse($"Rules = [ {rule} ]").HasDynamicRules);
    }

    [Fact]
    public async Task DynamicRule_WithoutHistory_IsErrorKeepingTheMetric()
    {
        var result = await EvaluateOneAsync("Completeness \"att2\" >= avg(last(5)) - 0.1", NumericValues);

        Assert.Equal(RuleOutcome.Error, result.Outcome);
        Assert.Contains("no history", result.FailureMessage);
        Assert.Equal(1.0, result.Metrics["Column.att2.Completeness"]);
    }

    /// <summary>A stand-in for the SQL engine: the rows each where clause selects are given by the test.</summary>
    private sealed class SelectingRunner(Dictionary<string, long[]> selections, long rowCount = 6) : ICustomSqlRunner
    {
        public List<string> Clauses { get; } = [];

        public Task<double> ExecuteScalarAsync(string sql, CustomSqlContext context, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<long> CountRowsAsync(string sql, CustomSqlContext context, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<RowSelection> SelectRowsAsync(string whereClause, CustomSqlContext context, CancellationToken cancellationToken)
        {
            lock (Clauses)
            {
                Clauses.Add(whereClause);
            }
            if (!selections.TryGetValue(whereClause, out var rows))
            {
                throw new InvalidOperationException($"Binder Error: unknown column in \"{whereClause}\"");
            }
            return Task.FromResult(new RowSelection(rows, rowCount));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WhereClause_RulesEvaluatedOverSelectedRows_OnePassPerClause(bool inProcess)
    {
        // deequ: IsPrimaryKey "att2" where "att1 > 2" passes (att2 = 0, 5, 6, 7 on those rows) though att2 repeats overall.
        // The engine's selections are the rows the clauses select, so both ways give the same scorecard.
        var runner = new SelectingRunner(new() { ["att1 > 2"] = [2, 3, 4, 5], ["att1 > 9"] = [] });
        var options = new EvaluationOptions { TimeProvider = Dq.Options().TimeProvider, CustomSqlRunner = runner, EvaluateWhereClausesInProcess = inProcess };

        var scorecard = await Dq.EvaluateAsync("""
            Rules = [
                IsPrimaryKey "att2" where "att1 > 2",
                IsPrimaryKey "att2",
                RowCount = 4 where "att1 > 2",
                Mean "att2" = 4.5 where "att1 > 2",
                RowCount = 0 where "att1 > 9",
                Completeness "att2" > 0.5 where "nope = 1",
                (RowCount = 4 where "att1 > 2") and (RowCount = 6)
            ]
            """, NumericValues, options);

        var outcomes = scorecard.Rules.Select(rule => rule.Outcome).ToList();
        Assert.Equal([RuleOutcome.Passed, RuleOutcome.Failed, RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Error, RuleOutcome.Passed], outcomes);
        Assert.Equal(1.0, scorecard.Rules[0].Metrics["Column.att2.Uniqueness"]);
        Assert.Contains("nope = 1", scorecard.Rules[5].FailureMessage);
        Assert.Equal(6, scorecard.RowCount);
        // In process, only the clause naming a column the data lacks goes to the engine (which then refuses it).
        Assert.Equal(inProcess ? ["nope = 1"] : ["att1 > 2", "att1 > 9", "nope = 1"], runner.Clauses.Order().ToList());
        Assert.Equal(inProcess ? [true, true, false] : [false, false, false], scorecard.WhereClauses.OrderBy(c => c.Clause).Select(c => c.InProcess));
        Assert.Contains(inProcess ? "no key of the dataset is named nope" : "turned off", scorecard.WhereClauses.Single(c => c.Clause == "nope = 1").SqlEngineReason);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WhereClause_OverNdjsonParts_ReadsSelectedRowsAgain(bool parallel)
    {
        var part1 = Encoding.UTF8.GetBytes(string.Join('\n', NumericValues[..3]) + "\n\n");
        var part2 = Encoding.UTF8.GetBytes(string.Join('\n', NumericValues[3..]));
        var runner = new SelectingRunner(new() { ["att1 % 2 = 0"] = [5, 1, 3] });
        var options = new EvaluationOptions { CustomSqlRunner = runner, MaxDegreeOfParallelism = parallel ? 2 : 1, EvaluateWhereClausesInProcess = false };
        var source = DatasetSource.FromNdjsonParts([_ => Task.FromResult<Stream>(new MemoryStream(part1)), _ => Task.FromResult<Stream>(new MemoryStream(part2))]);

        var scorecard = await RulesetEvaluator.EvaluateAsync(DqdlParser.Parse("""
            Rules = [ Sum "att1" = 12 where "att1 % 2 = 0", Sum "att1" = 21, ColumnValues "att1" in [2, 4, 6] where "att1 % 2 = 0" ]
            """), source, options);

        Assert.All(scorecard.Rules, rule => Assert.Equal(RuleOutcome.Passed, rule.Outcome));
    }

    [Fact]
    public async Task WhereClause_EngineRowCountDiffers_IsError()
    {
        var runner = new SelectingRunner(new() { ["att1 > 2"] = [2, 3] }, rowCount: 5);
        var options = new EvaluationOptions { CustomSqlRunner = runner, EvaluateWhereClausesInProcess = false };

        var scorecard = await Dq.EvaluateAsync("""Rules = [ RowCount = 2 where "att1 > 2", RowCount = 6 ]""", NumericValues, options);

        Assert.Equal(RuleOutcome.Error, scorecard.Rules[0].Outcome);
        Assert.Contains("holds 5 rows, the dataset 6", scorecard.Rules[0].FailureMessage);
        Assert.Equal(RuleOutcome.Passed, scorecard.Rules[1].Outcome);
    }

    [Fact]
    public async Task WhereClause_OutsideSubsetWithoutSqlEngine_IsError()
    {
        var result = await EvaluateOneAsync("""Completeness "att2" > 0.5 where "abs(att1) > 2" """, NumericValues);

        Assert.Equal(RuleOutcome.Error, result.Outcome);
        Assert.Contains("No SQL engine", result.FailureMessage);
    }

    [Theory]
    [InlineData("NOT ", 1500, "att1 > 2", "nested deeper")]
    [InlineData("- ", 3000, "att1 > 2", "nested deeper")]
    [InlineData("(", 3000, "att1 > 2", "nested deeper")]
    [InlineData("att1 > 0 AND ", 400, "att1 > 2", "nested deeper")]
    [InlineData("att1 > 0 OR ", 1000, "att1 > 2", "longer than 8192")]
    [InlineData("", 1, "abs(att1) > 2", "function abs")]
    [InlineData("", 1, "att1 > 2 -- comment", "'--'")]
    [InlineData("", 1, "att1 >", "incomplete expression")]
    public async Task WhereClause_OutsideSubset_GoesToSqlEngineWithTheReason(string repeated, int times, string tail, string reason)
    {
        var clause = string.Concat(Enumerable.Repeat(repeated, times)) + tail + (repeated == "(" ? new string(')', times) : "");
        var runner = new SelectingRunner(new() { [clause] = [2, 3, 4, 5] });

        var scorecard = await Dq.EvaluateAsync($$"""Rules = [ RowCount = 4 where "{{clause}}" ]""", NumericValues, new EvaluationOptions { CustomSqlRunner = runner });

        Assert.Equal(RuleOutcome.Passed, scorecard.Rules[0].Outcome);
        var route = Assert.Single(scorecard.WhereClauses);
        Assert.False(route.InProcess);
        Assert.Contains(reason, route.SqlEngineReason, StringComparison.Ordinal);
        Assert.Equal([clause], runner.Clauses);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task WhereClause_InSubsetWithoutSqlEngine_EvaluatedInTheSamePass(int parallelism)
    {
        var part1 = Encoding.UTF8.GetBytes(string.Join('\n', NumericValues[..3]) + "\n\n");
        var part2 = Encoding.UTF8.GetBytes(string.Join('\n', NumericValues[3..]));
        var reads = 0;
        var source = DatasetSource.FromNdjsonParts([_ => { reads++; return Task.FromResult<Stream>(new MemoryStream(part1)); }, _ => Task.FromResult<Stream>(new MemoryStream(part2))]);

        var scorecard = await RulesetEvaluator.EvaluateAsync(DqdlParser.Parse("""
            Rules = [
                IsPrimaryKey "att2" where "att1 > 2",
                Mean "att2" = 4.5 where "att1 > 2",
                Sum "att1" = 12 where "att1 % 2 = 0",
                RowCount = 3 where "att1 BETWEEN 2 AND 3 OR att1 IN (6, NULL) AND NOT att1 IS NULL",
                RowCount = 6
            ]
            """), source, new EvaluationOptions { MaxDegreeOfParallelism = parallelism });

        Assert.All(scorecard.Rules, rule => Assert.Equal(RuleOutcome.Passed, rule.Outcome));
        Assert.All(scorecard.WhereClauses, clause => Assert.True(clause.InProcess, clause.SqlEngineReason));
        Assert.Equal(3, scorecard.WhereClauses.Count);
        Assert.Equal(1, reads);
    }

    [Fact]
    public void Parse_AllReferenceRuleTypes_Accepted()
    {
        var ruleset = DqdlParser.Parse("""
            Rules = [
                AggregateMatch "sum(amount)" "sum(ref.amount)" >= 0.9,
                DatasetMatch "ref" "id->ref_id" "name->ref_name" >= 0.9,
                RowCountMatch "ref" between 0.9 and 1.1,
                SchemaMatch "ref" = 1.0,
                ReferentialIntegrity "customer_id" "ref.{id}" = 1.0,
                ColumnCorrelation "a" "b" between 0.5 and 1 where "a > 0",
                ColumnNamesMatchPattern "^[a-z_]+$",
                FileMatch "s3://a/" "s3://b/",
                FileUniqueness "s3://a/" > 0.9,
                DetectAnomalies "Completeness" "id"
            ]
            Analyzers = [ AllStatistics "a", RowCount, DistinctValuesCount "b" ]
            """);

        Assert.Equal(10, ruleset.Rules.Count);
        Assert.Equal(3, ruleset.Analyzers.Count);
        var correlation = Assert.IsType<SimpleRule>(ruleset.Rules[5]);
        Assert.Equal("a > 0", correlation.WhereClause);
        Assert.Null(correlation.Unsupported);
    }

    private static async Task<RuleResult> EvaluateOneAsync(string rule, string[] rows)
    {
        var scorecard = await Dq.EvaluateAsync($"Rules = [ {rule} ]", rows);
        return Assert.Single(scorecard.Rules);
    }
}
