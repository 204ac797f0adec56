using Sluice.Validation.V1;
using RuleOutcome = Sluice.Validation.V1.RuleOutcome;

namespace Sluice.Validation.Tests;

/// <summary>
/// The whole of DQDL through the real gRPC interface: where clauses evaluated on the service's DuckDB copy of the
/// dataset (inline rows and NDJSON parts), ColumnCorrelation, ColumnNamesMatchPattern, Analyzers, and rules that
/// cannot be evaluated ending in Error while the rest of the ruleset is scored. Expected values worked out by hand
/// on <see cref="OrdersDataset"/> (id, status, amount: 1 shipped 10, 2 pending 20, 3 shipped null, 4 lost 40, 4 shipped 50).
/// </summary>
public sealed class DqdlRpcTests(CountingObjectStoreHost fixture) : IClassFixture<CountingObjectStoreHost>
{
    private ValidationService.ValidationServiceClient Client => fixture.Host.Client;

    [Fact]
    public async Task EvaluateRuleset_WhereClauses_RulesSeeOnlyTheSelectedRows()
    {
        // shipped: ids 1, 3, 4 with amounts 10, null, 50. amount >= 20: ids 2, 4, 4 (20, 40, 50).
        var scorecard = await EvaluateInlineAsync("""
            Rules = [
                RowCount = 3 where "status = 'shipped'",
                Completeness "amount" between 0.6 and 0.7 where "status = 'shipped'",
                IsPrimaryKey "id" where "status = 'shipped'",
                IsPrimaryKey "id",
                Sum "amount" = 110 where "amount >= 20",
                ColumnValues "status" in ["pending", "lost", "shipped"] where "amount >= 20",
                Uniqueness "id" = 0.5 where "amount >= 20 AND status <> 'pending'",
                (Mean "amount" = 30 where "status = 'shipped'") and (RowCount = 5)
            ]
            """, OrdersDataset.Rows);

        Assert.Equal(5, scorecard.RowCount);
        Assert.Equal(
            [RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Failed, RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Failed, RuleOutcome.Passed],
            scorecard.Rules.Select(rule => rule.Outcome));
        Assert.Equal(3.0, scorecard.Rules[0].Metrics["Dataset.*.RowCount"]);
        Assert.Equal(2.0 / 3, scorecard.Rules[1].Metrics["Column.amount.Completeness"], 12);
        Assert.Equal(110.0, scorecard.Rules[4].Metrics["Column.amount.Sum"]);
        // amount >= 20 and not pending: ids 4, 4: no value occurs once.
        Assert.Equal(0.0, scorecard.Rules[6].Metrics["Column.id.Uniqueness"]);
    }

    [Fact]
    public async Task EvaluateRuleset_WhereClausesOverSeveralParts_SeeThemAsOneTableInOrder()
    {
        var prefix = $"raw/where-{Guid.NewGuid():N}/";
        await OrdersDataset.PutAsync(fixture.Objects, prefix + "part-00000.ndjson", """
            {"id":1,"amount":10,"region":"eu"}

            {"id":2,"amount":-5}
            """ + "\n");
        await OrdersDataset.PutAsync(fixture.Objects, prefix + "part-00001.ndjson", "\uFEFF" + """{"id":3,"amount":20.5,"region":"us","tags":["a"]}""");
        await OrdersDataset.PutAsync(fixture.Objects, prefix + "part-00002.ndjson", """
            {"id":4,"region":"eu"}
            {"id":5,"amount":30,"region":"eu","when":"2024-06-30"}
            """);

        var scorecard = (await Client.EvaluateRulesetAsync(new EvaluateRulesetRequest
        {
            RulesetText = """
                Rules = [
                    RowCount = 3 where "region = 'eu'",
                    Sum "amount" = 40 where "region = 'eu'",
                    IsComplete "amount" where "region = 'eu'",
                    ColumnValues "id" in [3, 5] where "amount > 20",
                    RowCount = 1 where "region IS NULL",
                    RowCount = 1 where "\"when\" >= '2024-06-01'",
                    RowCount = 0 where "amount > 1000"
                ]
                """,
            ObjectStore = new ObjectStoreDataset { KeyPrefix = prefix },
        })).Scorecard;

        Assert.Equal(5, scorecard.RowCount);
        Assert.Equal(
            [RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Failed, RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Passed],
            scorecard.Rules.Select(rule => rule.Outcome));
        Assert.Equal(2.0 / 3, scorecard.Rules[2].Metrics["Column.amount.Completeness"], 12);
    }

    [Fact]
    public async Task EvaluateRuleset_WhereClause_TypeChangesAfterDuckDbsSample_StillSeesEveryRow()
    {
        // DuckDB infers types from a sample of about 20,000 rows first; the last row's v is text, not a number.
        var prefix = $"raw/where-types-{Guid.NewGuid():N}/";
        var lines = Enumerable.Range(1, 30_000).Select(i => $$"""{"id":{{i}},"v":{{i % 7}}}""").Append("""{"id":30001,"v":"seven"}""");
        await OrdersDataset.PutAsync(fixture.Objects, prefix + "part-00000.ndjson", string.Join('\n', lines));

        var scorecard = (await Client.EvaluateRulesetAsync(new EvaluateRulesetRequest
        {
            RulesetText = """Rules = [ RowCount = 1 where "v = 'seven'", RowCount = 4285 where "v = '0'" ]""",
            ObjectStore = new ObjectStoreDataset { KeyPrefix = prefix },
        })).Scorecard;

        // i % 7 = 0 for 7, 14, ..., 29995: 4285 rows.
        Assert.Equal([RuleOutcome.Passed, RuleOutcome.Passed], scorecard.Rules.Select(rule => rule.Outcome));
    }

    [Theory]
    [InlineData("amout > 0", "amout")]
    [InlineData("amount > 0; SELECT 1", "';'")]
    [InlineData("amount > 0) OR (1 = 1", "closes a parenthesis")]
    [InlineData("amount IN (SELECT 1 FROM read_csv('/etc/passwd'))", "")]
    [InlineData("amount >", "syntax error")]
    [InlineData("amount = 1 = 1", "syntax error")]
    [InlineData("status = 'shipped", "unterminated string")]
    public async Task EvaluateRuleset_BadWhereClause_OnlyItsRulesEndInError(string clause, string reason)
    {
        var scorecard = await EvaluateInlineAsync($$"""
            Rules = [ RowCount = 5, Completeness "amount" > 0.5 where "{{clause.Replace("\"", "\\\"", StringComparison.Ordinal)}}" ]
            """, OrdersDataset.Rows);

        Assert.Equal(RuleOutcome.Passed, scorecard.Rules[0].Outcome);
        Assert.Equal(RuleOutcome.Error, scorecard.Rules[1].Outcome);
        Assert.Contains("where clause", scorecard.Rules[1].FailureMessage, StringComparison.Ordinal);
        Assert.Contains(reason, scorecard.Rules[1].FailureMessage, StringComparison.Ordinal);
        // The copy cannot reach files: nothing of them leaks into the message.
        Assert.DoesNotContain("root:", scorecard.Rules[1].FailureMessage, StringComparison.Ordinal);
        Assert.Equal(0.5, scorecard.Score);
    }

    [Fact]
    public async Task EvaluateRuleset_SingleDatasetRuleTypes_CorrelationAndColumnNames()
    {
        // Rows with both amounts: (10, 1), (20, 2), (40, 4), (50, 5): y = x / 10, correlation 1.
        string[] rows =
        [
            """{"order_id":1,"order_amount":10,"order_qty":1}""",
            """{"order_id":2,"order_amount":20,"order_qty":2}""",
            """{"order_id":3,"order_amount":null,"order_qty":3}""",
            """{"order_id":4,"order_amount":40,"order_qty":4}""",
            """{"order_id":5,"order_amount":50,"order_qty":5,"Note":"x"}""",
        ];

        var scorecard = await EvaluateInlineAsync("""
            Rules = [
                ColumnCorrelation "order_amount" "order_qty" > 0.99,
                ColumnNamesMatchPattern "^order_",
                ColumnNamesMatchPattern "^[a-zA-Z_]+$"
            ]
            """, rows);

        Assert.Equal([RuleOutcome.Passed, RuleOutcome.Failed, RuleOutcome.Passed], scorecard.Rules.Select(rule => rule.Outcome));
        Assert.Equal(1.0, scorecard.Rules[0].Metrics["Multicolumn.order_amount,order_qty.ColumnCorrelation"], 12);
        Assert.Equal(0.75, scorecard.Rules[1].Metrics["Dataset.*.ColumnNamesPatternMatchRatio"]);
        Assert.Contains("Note", scorecard.Rules[1].FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateRuleset_UnevaluableRules_ErrorWithReason_RulesetStillScored()
    {
        var scorecard = await EvaluateInlineAsync("""
            Rules = [
                RowCount = 5,
                IsComplete "nope",
                FileSize "s3://bucket/orders/" < 10 MB,
                ColumnExists "id" where "amount > 10",
                RowCount > avg(last(3))
            ]
            """, OrdersDataset.Rows);

        Assert.Equal(RuleOutcome.Passed, scorecard.Rules[0].Outcome);
        Assert.All(scorecard.Rules.Skip(1), rule => Assert.Equal(RuleOutcome.Error, rule.Outcome));
        Assert.Equal("Input data does not include column nope!", scorecard.Rules[1].FailureMessage);
        Assert.Contains("file rules", scorecard.Rules[2].FailureMessage, StringComparison.Ordinal);
        Assert.Contains("does not take a 'where' clause", scorecard.Rules[3].FailureMessage, StringComparison.Ordinal);
        Assert.Contains("no history", scorecard.Rules[4].FailureMessage, StringComparison.Ordinal);
        Assert.Equal(5.0, scorecard.Rules[4].Metrics["Dataset.*.RowCount"]);
        Assert.Equal(0.2, scorecard.Score, 12);
    }

    [Fact]
    public async Task EvaluateRuleset_Analyzers_MetricsWithoutVerdict()
    {
        var scorecard = await EvaluateInlineAsync("""
            Rules = [ RowCount = 5 ]
            Analyzers = [ Completeness "amount", DistinctValuesCount "id", Mean "amount" where "status = 'shipped'", IsComplete "nope" ]
            """, OrdersDataset.Rows);

        Assert.Equal(1.0, scorecard.Score);
        Assert.Equal(4, scorecard.Analyzers.Count);
        Assert.Equal("Completeness \"amount\"", scorecard.Analyzers[0].Analyzer);
        Assert.Equal(0.8, scorecard.Analyzers[0].Metrics["Column.amount.Completeness"], 12);
        Assert.Equal(4.0, scorecard.Analyzers[1].Metrics["Column.id.DistinctValuesCount"]);
        Assert.Equal(30.0, scorecard.Analyzers[2].Metrics["Column.amount.Mean"]);
        Assert.Equal("", scorecard.Analyzers[0].Error);
        Assert.Equal("Input data does not include column nope!", scorecard.Analyzers[3].Error);
    }

    [Fact]
    public async Task EvaluateRuleset_DynamicRulesOfARegisteredSource_CompareWithItsKeptHistory()
    {
        var source = $"dynamic-{Guid.NewGuid():N}";
        await Client.RegisterRulesetAsync(new RegisterRulesetRequest
        {
            Source = source,
            RulesetText = """
                Rules = [
                    RowCount >= avg(last(2)),
                    (Completeness "amount" >= min(last(3)) - 0.1) and (RowCount > 0)
                ]
                """,
        });

        // 1st: 5 rows, no history yet. 2nd: 3 rows vs avg(5) = 5. 3rd: 6 rows vs avg(3, 5) = 4.
        var first = await EvaluateSourceAsync(source, OrdersDataset.Rows);
        var second = await EvaluateSourceAsync(source, OrdersDataset.Part1);
        var third = await EvaluateSourceAsync(source, OrdersDataset.Rows.Append("""{"id":6,"status":"new","amount":1}"""));

        Assert.Equal(RuleOutcome.Error, first.Rules[0].Outcome);
        Assert.Contains("no history", first.Rules[0].FailureMessage, StringComparison.Ordinal);
        Assert.Equal(RuleOutcome.Failed, second.Rules[0].Outcome);
        Assert.Contains(">= 5 from the metric's history", second.Rules[0].FailureMessage, StringComparison.Ordinal);
        Assert.Equal(RuleOutcome.Passed, third.Rules[0].Outcome);
        // Completeness 0.8, then 2/3 (>= 0.8 - 0.1 = 0.7? no: Failed), then 5/6 (>= min(0.8, 0.667) - 0.1: Passed).
        Assert.Equal(RuleOutcome.Failed, second.Rules[1].Outcome);
        Assert.Equal(RuleOutcome.Passed, third.Rules[1].Outcome);
    }

    [Fact]
    public async Task EvaluateRuleset_MultiDatasetRules_AgainstReferenceDatasetsByAlias()
    {
        // ref: id 1 shipped 10, id 2 pending 25, id 3 shipped null, id 9 new 5.
        var prefix = $"raw/ref-{Guid.NewGuid():N}/";
        await OrdersDataset.PutAsync(fixture.Objects, prefix + "part-00000.ndjson", """
            {"id":1,"status":"shipped","amount":10}
            {"id":2,"status":"pending","amount":25}
            {"id":3,"status":"shipped","amount":null}
            {"id":9,"status":"new","amount":5}
            """);
        var request = new EvaluateRulesetRequest
        {
            RulesetText = """
                Rules = [
                    RowCountMatch "ref" = 1.25,
                    ReferentialIntegrity "id" "ref.{id}" = 0.6,
                    DatasetMatch "ref" "id" = 0.4,
                    DatasetMatch "ref" "id->id" "status->status" = 0.6,
                    AggregateMatch "sum(amount)" "sum(ref.amount)" = 3,
                    SchemaMatch "ref" = 1.0,
                    RowCountMatch "nope" = 1,
                    (ReferentialIntegrity "id,status" "ref.{id,status}" >= 0.6) and (RowCount = 5)
                ]
                """,
            InlineRows = new InlineRows(),
        };
        request.InlineRows.RowsJson.AddRange(OrdersDataset.Rows);
        request.ReferenceDatasets["ref"] = new ObjectStoreDataset { KeyPrefix = prefix };

        var scorecard = (await Client.EvaluateRulesetAsync(request)).Scorecard;

        // 5 / 4 rows; ids 1, 2, 3 of 1, 2, 3, 4, 4 in ref; rows 1 and 3 equal on every common column; rows 1, 2, 3 on status;
        // sum 120 / 40; the same columns with the same types.
        Assert.Equal(
            [RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Error, RuleOutcome.Passed],
            scorecard.Rules.Select(rule => rule.Outcome));
        Assert.Equal(1.25, scorecard.Rules[0].Metrics["Dataset.ref.RowCountMatch"]);
        Assert.Equal(0.6, scorecard.Rules[1].Metrics["Column.ref.ReferentialIntegrity"], 12);
        Assert.Equal(0.4, scorecard.Rules[2].Metrics["Dataset.ref.DatasetMatch"], 12);
        Assert.Equal(3.0, scorecard.Rules[4].Metrics["Dataset.*.AggregateMatch"]);
        Assert.Equal(1.0, scorecard.Rules[5].Metrics["Dataset.ref.SchemaMatch"]);
        Assert.Contains("No reference dataset is named 'nope'", scorecard.Rules[6].FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateRuleset_MultiDatasetRuleWithoutReferences_IsError()
    {
        var scorecard = await EvaluateInlineAsync("""Rules = [ RowCountMatch "ref" = 1.0, RowCount = 5 ]""", OrdersDataset.Rows);

        Assert.Equal(RuleOutcome.Error, scorecard.Rules[0].Outcome);
        Assert.Contains("reference_datasets", scorecard.Rules[0].FailureMessage, StringComparison.Ordinal);
        Assert.Equal(RuleOutcome.Passed, scorecard.Rules[1].Outcome);
    }

    [Fact]
    public async Task EvaluateRuleset_ReferenceTableWithoutAQueryService_RuleErrorsNamingTheSetting()
    {
        // This host runs the validation service alone, with no Sluice:Services:Query:Address.
        var request = new EvaluateRulesetRequest { RulesetText = """Rules = [ RowCountMatch "ref" = 1.0, RowCount = 5 ]""", InlineRows = new InlineRows() };
        request.InlineRows.RowsJson.AddRange(OrdersDataset.Rows);
        request.ReferenceTables["ref"] = new WarehouseTable { Table = "customers" };

        var scorecard = (await Client.EvaluateRulesetAsync(request)).Scorecard;

        Assert.Equal(RuleOutcome.Error, scorecard.Rules[0].Outcome);
        Assert.Contains("The reference table 'customers' (alias 'ref') cannot be read", scorecard.Rules[0].FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Sluice:Services:Query:Address", scorecard.Rules[0].FailureMessage, StringComparison.Ordinal);
        Assert.Equal(RuleOutcome.Passed, scorecard.Rules[1].Outcome);
    }

    private async Task<Scorecard> EvaluateSourceAsync(string source, IEnumerable<string> rows)
    {
        var request = new EvaluateRulesetRequest { Source = source, InlineRows = new InlineRows() };
        request.InlineRows.RowsJson.AddRange(rows);
        return (await Client.EvaluateRulesetAsync(request)).Scorecard;
    }

    private async Task<Scorecard> EvaluateInlineAsync(string ruleset, IEnumerable<string> rows)
    {
        var request = new EvaluateRulesetRequest { RulesetText = ruleset, InlineRows = new InlineRows() };
        request.InlineRows.RowsJson.AddRange(rows);
        return (await Client.EvaluateRulesetAsync(request)).Scorecard;
    }
}
