using System.Text;
using Grpc.Core;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts.Messages;
using Sluice.ObjectStore;
using Sluice.Query.V1;
using Sluice.Validation.V1;

namespace Sluice.Host.Tests;

/// <summary>
/// DQDL rules that compare a dataset with a warehouse table, in the all-in-one host: the table is made through the
/// query service's gRPC, and the validation service reads it back through the same API, in EvaluateRuleset and on
/// DatasetLanded.
/// </summary>
public sealed class WarehouseReferenceTests : IAsyncLifetime
{
    // id, status, amount: 1 shipped 10, 2 pending 20, 3 shipped null, 4 lost 40, 4 shipped 50.
    private static readonly string[] Orders =
    [
        """{"id":1,"status":"shipped","amount":10}""",
        """{"id":2,"status":"pending","amount":20}""",
        """{"id":3,"status":"shipped","amount":null}""",
        """{"id":4,"status":"lost","amount":40}""",
        """{"id":4,"status":"shipped","amount":50}""",
    ];

    private const string ComparingRules = """
        Rules = [
            RowCountMatch "ref" = 1.25,
            ReferentialIntegrity "id" "ref.{id}" = 0.6,
            DatasetMatch "ref" "id" = 0.4,
            DatasetMatch "ref" "id->id" "status->status" = 0.6,
            AggregateMatch "sum(amount)" "sum(ref.amount)" = 3,
            SchemaMatch "ref" = 1.0
        ]
        """;

    private HostUnderTest _host = null!;
    private QueryService.QueryServiceClient _query = null!;
    private ValidationService.ValidationServiceClient _validation = null!;
    private string _table = null!;

    public async Task InitializeAsync()
    {
        _host = await HostUnderTest.StartAsync(["--Logging:LogLevel:Default=Warning"]);
        _query = new QueryService.QueryServiceClient(_host.ChannelTo("Query"));
        _validation = new ValidationService.ValidationServiceClient(_host.ChannelTo("Validation"));
        // The reference: id 1 shipped 10, id 2 pending 25, id 3 shipped null, id 9 new 5.
        _table = "ref_" + Guid.NewGuid().ToString("N")[..12];
        await RunAsync($"CREATE TABLE {_table} (id BIGINT, status VARCHAR, amount BIGINT)");
        await RunAsync($"INSERT INTO {_table} VALUES (1, 'shipped', 10), (2, 'pending', 25), (3, 'shipped', NULL), (9, 'new', 5)");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task EvaluateRuleset_ReferenceTable_ComparedAsTheSameRowsInTheObjectStoreWouldBe()
    {
        var request = Inline(ComparingRules);
        request.ReferenceTables["ref"] = new WarehouseTable { Database = "dev", Table = _table };

        var scorecard = (await _validation.EvaluateRulesetAsync(request, deadline: DateTime.UtcNow.AddMinutes(2))).Scorecard;

        // 5 / 4 rows; ids 1, 2, 3 of 1, 2, 3, 4, 4 in ref; rows 1 and 3 equal on every common column; rows 1, 2, 3 on
        // status; sum 120 / 40; the same columns with the same types (the table's bigints arrive as JSON numbers).
        Assert.All(scorecard.Rules, rule => Assert.True(rule.Outcome == RuleOutcome.Passed, $"{rule.Rule}: {rule.Outcome} {rule.FailureMessage}"));
        Assert.Equal(1.25, scorecard.Rules[0].Metrics["Dataset.ref.RowCountMatch"]);
        Assert.Equal(0.6, scorecard.Rules[1].Metrics["Column.ref.ReferentialIntegrity"], 12);
        Assert.Equal(0.4, scorecard.Rules[2].Metrics["Dataset.ref.DatasetMatch"], 12);
        Assert.Equal(3.0, scorecard.Rules[4].Metrics["Dataset.*.AggregateMatch"]);
        Assert.Equal(1.0, scorecard.Rules[5].Metrics["Dataset.ref.SchemaMatch"]);
    }

    [Fact]
    public async Task EvaluateRuleset_ReferenceTableMissing_RulesUsingItErrorNamingTheTable()
    {
        var request = Inline("""Rules = [ RowCountMatch "ref" = 1.0, RowCount = 5 ]""");
        request.ReferenceTables["ref"] = new WarehouseTable { Table = "no_such_table_" + Guid.NewGuid().ToString("N")[..8] };

        var scorecard = (await _validation.EvaluateRulesetAsync(request, deadline: DateTime.UtcNow.AddMinutes(2))).Scorecard;

        Assert.Equal(RuleOutcome.Error, scorecard.Rules[0].Outcome);
        Assert.Contains($"The reference table '{request.ReferenceTables["ref"].Table}' (alias 'ref') could not be read", scorecard.Rules[0].FailureMessage, StringComparison.Ordinal);
        Assert.Equal(RuleOutcome.Passed, scorecard.Rules[1].Outcome);
    }

    [Theory]
    [InlineData("customers; DROP TABLE x", "", "is not a table name")]
    [InlineData("a.b.c", "", "is not a table name")]
    [InlineData("customers", "dev-1", "is not a database name")]
    [InlineData("", "", "is not a table name")]
    public async Task EvaluateRuleset_BadTableName_InvalidArgumentNamingTheField(string table, string database, string expected)
    {
        var request = Inline(ComparingRules);
        request.ReferenceTables["ref"] = new WarehouseTable { Database = database, Table = table };

        var error = await Assert.ThrowsAsync<RpcException>(async () => await _validation.EvaluateRulesetAsync(request, deadline: HostUnderTest.Deadline));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("reference_tables[ref]", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(expected, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisterRuleset_AliasInBothMaps_InvalidArgumentAndNothingRegistered()
    {
        var source = "both-" + Guid.NewGuid().ToString("N")[..8];
        var request = new RegisterRulesetRequest { Source = source, RulesetText = ComparingRules };
        request.ReferencePrefixes["ref"] = "raw/elsewhere/";
        request.ReferenceTables["ref"] = new WarehouseTable { Table = _table };

        var error = await Assert.ThrowsAsync<RpcException>(async () => await _validation.RegisterRulesetAsync(request, deadline: HostUnderTest.Deadline));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("The alias 'ref' is also in reference_prefixes", error.Status.Detail, StringComparison.Ordinal);
        var lookup = await Assert.ThrowsAsync<RpcException>(async () => await _validation.GetRulesetAsync(new GetRulesetRequest { Source = source }, deadline: HostUnderTest.Deadline));
        Assert.Equal(StatusCode.NotFound, lookup.StatusCode);
    }

    [Fact]
    public async Task DatasetLanded_RegisteredRulesetWithReferenceTable_ScoredAgainstTheTable()
    {
        var source = "landed-" + Guid.NewGuid().ToString("N")[..8];
        var registration = new RegisterRulesetRequest { Source = source, RulesetText = ComparingRules };
        registration.ReferenceTables["ref"] = new WarehouseTable { Database = "dev", Table = _table };
        var registered = (await _validation.RegisterRulesetAsync(registration, deadline: HostUnderTest.Deadline)).Ruleset;
        Assert.Equal(_table, registered.ReferenceTables["ref"].Table);
        Assert.Equal(_table, (await _validation.GetRulesetAsync(new GetRulesetRequest { Source = source }, deadline: HostUnderTest.Deadline)).Ruleset.ReferenceTables["ref"].Table);

        var jobId = Guid.NewGuid().ToString();
        var key = $"raw/{source}/ingest_date=2026-12-02/{jobId}/part-00000.ndjson";
        await _host.App.Services.GetRequiredService<IObjectStore>().PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', Orders) + "\n")));
        var answer = new TaskCompletionSource<DatasetValidated>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bus = _host.App.Services.GetRequiredService<IBus>();
        var endpoint = bus.ConnectReceiveEndpoint("warehouse-reference-test-" + Guid.NewGuid().ToString("N"), configure =>
            configure.Handler<DatasetValidated>(context =>
            {
                if (context.Message.JobId == jobId)
                {
                    answer.TrySetResult(context.Message);
                }
                return Task.CompletedTask;
            }));
        await endpoint.Ready.WaitAsync(TimeSpan.FromMinutes(1));
        try
        {
            await bus.Publish(new DatasetLanded { JobId = jobId, Source = source, ObjectKeys = [key], RecordCount = Orders.Length, LandedAt = DateTimeOffset.UtcNow });

            var validated = await answer.Task.WaitAsync(TimeSpan.FromMinutes(2));

            Assert.True(validated.Status == DatasetValidationStatus.Scored, validated.Error);
            Assert.True(validated.Passed, string.Join("; ", validated.Rules.Select(r => $"{r.Rule}: {r.Outcome} {r.FailureMessage}")));
            Assert.Equal(0.6, validated.Rules[1].Metrics["Column.ref.ReferentialIntegrity"]!.Value, 12);
        }
        finally
        {
            await endpoint.StopAsync();
        }
    }

    private static EvaluateRulesetRequest Inline(string ruleset)
    {
        var request = new EvaluateRulesetRequest { RulesetText = ruleset, InlineRows = new InlineRows() };
        request.InlineRows.RowsJson.AddRange(Orders);
        return request;
    }

    private async Task RunAsync(string sql)
    {
        var id = (await _query.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = sql, Database = "dev" }, deadline: HostUnderTest.Deadline)).Id;
        using var watch = _query.WatchStatement(new WatchStatementRequest { Id = id }, deadline: DateTime.UtcNow.AddMinutes(1));
        DescribeStatementResponse? last = null;
        await foreach (var update in watch.ResponseStream.ReadAllAsync())
        {
            last = update.Statement;
        }
        Assert.True(last?.Status == Sluice.Query.V1.StatementStatus.Finished, $"{sql}: {last?.Status} {last?.Error}");
    }
}
