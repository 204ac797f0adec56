using Microsoft.Extensions.DependencyInjection;
using Sluice.DataQuality.Evaluation;
using Sluice.Validation.V1;
using RuleOutcome = Sluice.Validation.V1.RuleOutcome;

namespace Sluice.Validation.Tests;

/// <summary>CustomSql rules run on an <see cref="ICustomSqlRunner"/> when the host registers one.</summary>
public sealed class CustomSqlRunnerTests
{
    [Fact]
    public async Task EvaluateRuleset_CustomSqlRunnerRegistered_CustomSqlRulesRunOnIt()
    {
        using var directories = new TestDirectories();
        var runner = new FixedCountRunner(5);
        await using var host = await ValidationHost.StartAsync(directories, configureServices: services => services.AddSingleton<ICustomSqlRunner>(runner));
        var request = new EvaluateRulesetRequest
        {
            RulesetText = """Rules = [ CustomSql "select count(*) from primary" = 5, CustomSql "select count(*) from primary" > 5 ]""",
            InlineRows = new InlineRows(),
        };
        request.InlineRows.RowsJson.AddRange(OrdersDataset.Rows);

        var response = await host.Client.EvaluateRulesetAsync(request);

        Assert.Equal([RuleOutcome.Passed, RuleOutcome.Failed], response.Scorecard.Rules.Select(r => r.Outcome));
        Assert.Equal(5, response.Scorecard.Rules[0].Metrics["Dataset.*.CustomSQL"]);
        Assert.Equal(["select count(*) from primary", "select count(*) from primary"], runner.Statements.Order());
    }

    private sealed class FixedCountRunner(double value) : ICustomSqlRunner
    {
        private readonly System.Collections.Concurrent.ConcurrentBag<string> _statements = [];

        public IEnumerable<string> Statements => _statements;

        public Task<double> ExecuteScalarAsync(string sql, CustomSqlContext context, CancellationToken cancellationToken)
        {
            _statements.Add(sql);
            return Task.FromResult(value);
        }

        public Task<long> CountRowsAsync(string sql, CustomSqlContext context, CancellationToken cancellationToken) =>
            throw new NotSupportedException("Only scalar statements in this test.");
    }
}
