using Sluice.DataQuality.Evaluation;

namespace Sluice.DataQuality.Tests;

public class CustomSqlTests
{
    private static readonly string[] FourRows = ["""{"Age":10}""", """{"Age":20}""", """{"Age":30}""", """{"Age":40}"""];

    private sealed class FakeRunner(double scalar = 0, long rows = 0, Exception? failure = null) : ICustomSqlRunner
    {
        public List<(string Sql, string Dataset)> Calls { get; } = [];

        public Task<double> ExecuteScalarAsync(string sql, CustomSqlContext context, CancellationToken cancellationToken)
        {
            Calls.Add((sql, context.DatasetName));
            return failure is null ? Task.FromResult(scalar) : Task.FromException<double>(failure);
        }

        public Task<long> CountRowsAsync(string sql, CustomSqlContext context, CancellationToken cancellationToken)
        {
            Calls.Add((sql, context.DatasetName));
            return failure is null ? Task.FromResult(rows) : throw failure;
        }
    }

    [Theory]
    [InlineData(15, RuleOutcome.Passed)]
    [InlineData(20, RuleOutcome.Failed)]
    public async Task Scalar_ComparesReturnedValue(double value, RuleOutcome expected)
    {
        var runner = new FakeRunner(scalar: value);
        var options = Dq.Options(runner);
        options = new EvaluationOptions { CustomSqlRunner = runner, DatasetName = "raw.orders", TimeProvider = options.TimeProvider };

        var scorecard = await Dq.EvaluateAsync("""Rules = [ CustomSql "select count(*) from primary" between 10 and 20 ]""", FourRows, options);

        var result = Assert.Single(scorecard.Rules);
        Assert.Equal(expected, result.Outcome);
        Assert.Equal(value, result.Metrics["Dataset.*.CustomSQL"]);
        Assert.Equal(("select count(*) from primary", "raw.orders"), Assert.Single(runner.Calls));
    }

    [Theory]
    [InlineData("", RuleOutcome.Failed)]
    [InlineData(" with threshold >= 0.75", RuleOutcome.Passed)]
    [InlineData(" with threshold > 0.75", RuleOutcome.Failed)]
    public async Task RowLevel_ReturnedRowsPass(string threshold, RuleOutcome expected)
    {
        var runner = new FakeRunner(rows: 3);

        var scorecard = await Dq.EvaluateAsync($$"""Rules = [ CustomSql "select Age from primary where Age > 15"{{threshold}} ]""", FourRows, Dq.Options(runner));

        var result = Assert.Single(scorecard.Rules);
        Assert.Equal(expected, result.Outcome);
        Assert.Equal(0.75, result.Metrics["Dataset.*.CustomSQL.Compliance"]);
    }

    [Fact]
    public async Task RunnerFailure_IsErrorAndOtherRulesStillEvaluate()
    {
        var runner = new FakeRunner(failure: new InvalidOperationException("relation \"primary\" does not exist"));

        var scorecard = await Dq.EvaluateAsync("""Rules = [ CustomSql "select 1" = 1, RowCount = 4, CustomSql "select Age from primary" ]""", FourRows, Dq.Options(runner));

        Assert.Equal(RuleOutcome.Error, scorecard.Rules[0].Outcome);
        Assert.Contains("relation \"primary\" does not exist", scorecard.Rules[0].FailureMessage);
        Assert.Equal(RuleOutcome.Passed, scorecard.Rules[1].Outcome);
        Assert.Equal(RuleOutcome.Error, scorecard.Rules[2].Outcome);
        Assert.Equal(1 / 3.0, scorecard.Score, 12);
    }

    [Fact]
    public async Task NoRunnerConfigured_IsError()
    {
        var result = await Dq.EvaluateRuleAsync("CustomSql \"select count(*) from primary\" > 0", FourRows);

        Assert.Equal(RuleOutcome.Error, result.Outcome);
        Assert.Contains("runner", result.FailureMessage);
    }
}
