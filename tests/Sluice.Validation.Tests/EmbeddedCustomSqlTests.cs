using Sluice.Contracts.Messages;
using Sluice.Validation.V1;
using RuleOutcome = Sluice.Validation.V1.RuleOutcome;

namespace Sluice.Validation.Tests;

/// <summary>
/// CustomSql rules on the service's embedded DuckDB copy of the dataset, through the real gRPC interface (inline rows
/// and NDJSON parts in the object store) and through DatasetLanded → DatasetValidated.
/// </summary>
public sealed class EmbeddedCustomSqlTests(CountingObjectStoreHost fixture) : IClassFixture<CountingObjectStoreHost>
{
    private const string ScalarMetric = "Dataset.*.CustomSQL";
    private const string ComplianceMetric = "Dataset.*.CustomSQL.Compliance";
    private const string ReadOnlyRefusal = "CustomSql may only read the dataset: a single SELECT (or WITH … SELECT) statement is allowed";

    private ValidationService.ValidationServiceClient Client => fixture.Host.Client;

    [Fact]
    public async Task EvaluateRuleset_InlineRowsScalarCustomSql_PassesAndFailsOnTheMeasuredValue()
    {
        // Orders: amounts 10, 20, null, 40, 50; shipped rows have 10, null, 50.
        var scorecard = await EvaluateInlineAsync("""
            Rules = [
                CustomSql "select count(*) from primary" between 4 and 6,
                CustomSql "select count(*) from primary where amount < 0" = 0,
                CustomSql "select sum(amount) from primary" > 200,
                CustomSql "SELECT avg(amount) FROM Primary WHERE status = 'shipped'" = 30
            ]
            """, OrdersDataset.Rows);

        Assert.Equal([RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Failed, RuleOutcome.Passed], scorecard.Rules.Select(r => r.Outcome));
        Assert.Equal([5.0, 0.0, 120.0, 30.0], scorecard.Rules.Select(r => r.Metrics[ScalarMetric]));
        Assert.Contains("does not meet the constraint requirement", scorecard.Rules[2].FailureMessage, StringComparison.Ordinal);
        Assert.Equal(0.75, scorecard.Score, 1e-9);
    }

    [Fact]
    public async Task EvaluateRuleset_ObjectStorePrefixWithSeveralParts_CustomSqlSeesThemAsOneTable()
    {
        var prefix = UniquePrefix();
        await OrdersDataset.PutAsync(fixture.Objects, prefix + "part-00000.ndjson", """
            {"id":1,"amount":10}
            {"id":2,"amount":-5,"order id":"b"}

            """);
        await OrdersDataset.PutAsync(fixture.Objects, prefix + "part-00001.ndjson", "\uFEFF" + """{"id":3,"amount":20.5,"late key":"only in part 2"}""");
        await OrdersDataset.PutAsync(fixture.Objects, prefix + "part-00002.ndjson", """
            {"id":4}
            {"id":5,"amount":30,"order id":"e"}
            """);

        var scorecard = await EvaluateObjectsAsync("""
            Rules = [
                CustomSql "select count(*) from primary" = 5,
                CustomSql "select sum(amount) from primary" = 55.5,
                CustomSql "select count(*) from primary where amount < 0" = 0,
                CustomSql "select count(*) from primary where `late key` is not null" = 1,
                CustomSql "select max(id) from primary where `order id` = 'e'" = 5
            ]
            """, new ObjectStoreDataset { KeyPrefix = prefix });

        Assert.Equal(5, scorecard.RowCount);
        Assert.Equal([RuleOutcome.Passed, RuleOutcome.Passed, RuleOutcome.Failed, RuleOutcome.Passed, RuleOutcome.Passed], scorecard.Rules.Select(r => r.Outcome));
        Assert.Equal([5.0, 55.5, 1.0, 1.0, 5.0], scorecard.Rules.Select(r => r.Metrics[ScalarMetric]));
    }

    [Fact]
    public async Task EvaluateRuleset_RowLevelCustomSql_ComplianceIsTheShareOfRowsReturned()
    {
        // amount >= 20 returns 3 of the 5 orders (20, 40, 50): compliance 0.6.
        var scorecard = await EvaluateInlineAsync("""
            Rules = [
                CustomSql "select id from primary where amount >= 20" with threshold > 0.5,
                CustomSql "select id from primary where amount >= 20" with threshold > 0.9,
                CustomSql "select p.id, p.status from primary p where p.status is not null",
                CustomSql "select id from primary where amount >= 20"
            ]
            """, OrdersDataset.Rows);

        Assert.Equal([RuleOutcome.Passed, RuleOutcome.Failed, RuleOutcome.Passed, RuleOutcome.Failed], scorecard.Rules.Select(r => r.Outcome));
        Assert.Equal([0.6, 0.6, 1.0, 0.6], scorecard.Rules.Select(r => r.Metrics[ComplianceMetric]));
        Assert.Contains("does not meet the threshold requirement", scorecard.Rules[1].FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(ScalarMetric, scorecard.Rules[0].Metrics.Keys);
    }

    [Fact]
    public async Task EvaluateRuleset_RowLevelCustomSqlWithoutAColumnOfPrimary_Error()
    {
        var scorecard = await EvaluateInlineAsync("""Rules = [ CustomSql "select count(*) from primary" ]""", OrdersDataset.Rows);

        var rule = Assert.Single(scorecard.Rules);
        Assert.Equal(RuleOutcome.Error, rule.Outcome);
        Assert.Contains("must select at least one column of primary", rule.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateRuleset_TwoCustomSqlRules_CopiesTheDatasetOnce()
    {
        var keys = await OrdersDataset.WritePartsAsync(fixture.Objects, UniqueSource(), "job-1");
        var request = new EvaluateRulesetRequest
        {
            RulesetText = """Rules = [ RowCount = 5, CustomSql "select count(*) from primary" = 5, CustomSql "select id from primary where amount > 0" with threshold > 0.5 ]""",
            ObjectStore = new ObjectStoreDataset(),
        };
        request.ObjectStore.Keys.AddRange(keys);

        var scorecard = (await Client.EvaluateRulesetAsync(request)).Scorecard;

        Assert.All(scorecard.Rules, rule => Assert.Equal(RuleOutcome.Passed, rule.Outcome));
        // Each part is read once by the evaluator and once into the DuckDB copy, not once per CustomSql rule.
        Assert.All(keys, key => Assert.Equal(2, fixture.Objects.OpensOf(key)));
    }

    [Fact]
    public async Task EvaluateRuleset_NoCustomSqlRule_DoesNotCopyTheDataset()
    {
        var keys = await OrdersDataset.WritePartsAsync(fixture.Objects, UniqueSource(), "job-1");
        var request = new EvaluateRulesetRequest { RulesetText = """Rules = [ RowCount = 5, IsComplete "id" ]""", ObjectStore = new ObjectStoreDataset() };
        request.ObjectStore.Keys.AddRange(keys);

        var scorecard = (await Client.EvaluateRulesetAsync(request)).Scorecard;

        Assert.Equal(1.0, scorecard.Score);
        Assert.All(keys, key => Assert.Equal(1, fixture.Objects.OpensOf(key)));
    }

    [Theory]
    [InlineData("delete from primary", "DELETE rows")]
    [InlineData("update primary set amount = 0", "UPDATE rows")]
    [InlineData("insert into primary (id) values (6)", "INSERT rows")]
    [InlineData("drop table primary", "change the schema")]
    [InlineData("create table stolen as select * from primary", "change the schema")]
    [InlineData("alter table primary add column stolen integer", "change the schema")]
    [InlineData("pragma enable_external_access", "run PRAGMA enable_external_access")]
    [InlineData("set enable_external_access = true", "run SET enable_external_access")]
    [InlineData("begin", "control a transaction")]
    [InlineData("select count(*) from primary; delete from primary", "more than one statement")]
    [InlineData("select 1; select 2", "more than one statement")]
    public async Task EvaluateRuleset_CustomSqlThatIsNotASingleSelect_ErrorAndTheDataIsUntouched(string sql, string reason)
    {
        var scorecard = await EvaluateInlineAsync(
            $$"""Rules = [ CustomSql "{{sql}}" = 0, CustomSql "select count(*) from primary" = 5, CustomSql "select sum(amount) from primary" = 120 ]""",
            OrdersDataset.Rows);

        Assert.Equal([RuleOutcome.Error, RuleOutcome.Passed, RuleOutcome.Passed], scorecard.Rules.Select(r => r.Outcome));
        Assert.Contains(ReadOnlyRefusal, scorecard.Rules[0].FailureMessage, StringComparison.Ordinal);
        Assert.Contains(reason, scorecard.Rules[0].FailureMessage, StringComparison.Ordinal);
        Assert.Empty(scorecard.Rules[0].Metrics);
    }

    [Theory]
    [InlineData("attach database '{0}' as other", "ATTACH a database")]
    [InlineData("copy primary to '{0}'", "read or write files")]
    [InlineData("export database '{0}'", "read or write files")]
    public async Task EvaluateRuleset_CustomSqlThatWouldWriteAFile_ErrorAndNoFileIsCreated(string template, string reason)
    {
        var path = Path.Combine(fixture.Scratch, Guid.NewGuid().ToString("N") + ".db");
        var sql = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, path);

        var scorecard = await EvaluateInlineAsync($$"""Rules = [ CustomSql "{{sql}}" = 0 ]""", OrdersDataset.Rows);

        var rule = Assert.Single(scorecard.Rules);
        Assert.Equal(RuleOutcome.Error, rule.Outcome);
        Assert.Contains(ReadOnlyRefusal, rule.FailureMessage, StringComparison.Ordinal);
        Assert.Contains(reason, rule.FailureMessage, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        Assert.False(Directory.Exists(path));
    }

    [Fact]
    public async Task EvaluateRuleset_CustomSqlQueryReadingAFileOutsideTheDataset_ErrorFromDuckDbsLockedFileSystem()
    {
        var path = Path.Combine(fixture.Scratch, Guid.NewGuid().ToString("N") + ".csv");
        await File.WriteAllTextAsync(path, "secret\n42\n");

        var scorecard = await EvaluateInlineAsync($$"""Rules = [ CustomSql "select count(*) from read_csv('{{path}}')" = 1 ]""", OrdersDataset.Rows);

        var rule = Assert.Single(scorecard.Rules);
        Assert.Equal(RuleOutcome.Error, rule.Outcome);
        Assert.Contains("DuckDB rejected the CustomSql statement", rule.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("disabled", rule.FailureMessage, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("selec count(*) from primary", "DuckDB rejected the CustomSql statement: Parser Error: syntax error at or near \"selec\"")]
    [InlineData("select count(*) from primary where amout > 0", "Referenced column \"amout\" not found")]
    [InlineData("select count(*) from orders", "Table with name orders does not exist")]
    public async Task EvaluateRuleset_CustomSqlDuckDbRejects_ErrorWithDuckDbsMessage(string sql, string message)
    {
        var scorecard = await EvaluateInlineAsync($$"""Rules = [ CustomSql "{{sql}}" > 0 ]""", OrdersDataset.Rows);

        var rule = Assert.Single(scorecard.Rules);
        Assert.Equal(RuleOutcome.Error, rule.Outcome);
        Assert.Contains(message, rule.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("select id from primary", "returned more than one row")]
    [InlineData("select id, amount from primary limit 1", "returned 2 columns")]
    [InlineData("select max(amount) from primary where id > 100", "returned NULL")]
    [InlineData("select status from primary order by id limit 1", "returned the text 'shipped'")]
    [InlineData("select id from primary where id > 100", "returned no rows")]
    public async Task EvaluateRuleset_ScalarCustomSqlWithoutOneNumber_Error(string sql, string message)
    {
        var scorecard = await EvaluateInlineAsync($$"""Rules = [ CustomSql "{{sql}}" > 0 ]""", OrdersDataset.Rows);

        var rule = Assert.Single(scorecard.Rules);
        Assert.Equal(RuleOutcome.Error, rule.Outcome);
        Assert.Contains(message, rule.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateRuleset_OddKeysNullsBooleansAndNestedValues_LoadedWithTheirJsonTypes()
    {
        string[] rows =
        [
            """{"order id": 1, "say \"hi\"": "yes", "it's": 1, "active": true, "primary": "p", "meta": {"k": "v"}, "tags": [1, 2], "empty": ""}""",
            """{"order id": 2, "say \"hi\"": null, "active": false, "meta": null}""",
            """{"order id": 3, "active": null, "big": 123456789012345678901234567890, "ratio": 0.25}""",
            "{}",
        ];

        // Spark SQL's habits (backtick names, primary as a bare table name, struct fields with a dot) read the types
        // DuckDB infers from JSON: booleans, structs, lists, BIGINT and DOUBLE.
        var scorecard = await EvaluateInlineAsync("""
            Rules = [
                CustomSql "select count(*) from primary" = 4,
                CustomSql "select sum(`order id`) from primary" = 6,
                CustomSql "select count(*) from primary where \"say \"\"hi\"\"\" = 'yes'" = 1,
                CustomSql "select count(*) from primary where `it's` = 1" = 1,
                CustomSql "select count(*) from primary where primary.`primary` = 'p'" = 1,
                CustomSql "select count(*) from primary where active and typeof(active) = 'BOOLEAN'" = 1,
                CustomSql "select count(*) from primary where not active" = 1,
                CustomSql "select count(*) from primary where active is null" = 2,
                CustomSql "select count(*) from primary where meta.k = 'v'" = 1,
                CustomSql "select sum(len(tags)) from primary" = 2,
                CustomSql "select count(*) from primary where empty = '' and typeof(empty) = 'VARCHAR'" = 1,
                CustomSql "select count(*) from primary where typeof(big) = 'DOUBLE' and big > 1e29 and ratio = 0.25" = 1,
                CustomSql "select count(*) from primary where typeof(`order id`) = 'BIGINT' and `order id` is not null" = 3
            ]
            """, rows);

        Assert.All(scorecard.Rules, rule => Assert.True(rule.Outcome == RuleOutcome.Passed, $"{rule.Rule}: {rule.Outcome} {rule.FailureMessage} {string.Join(", ", rule.Metrics)}"));
    }

    [Fact]
    public async Task DatasetLanded_CustomSqlRules_PublishesTheirOutcomesAndMetricsAndCopiesOnce()
    {
        var source = "orders-" + Guid.NewGuid().ToString("N");
        var jobId = Guid.NewGuid().ToString();
        var keys = await OrdersDataset.WritePartsAsync(fixture.Objects, source, jobId);
        await Client.RegisterRulesetAsync(new RegisterRulesetRequest
        {
            Source = source,
            RulesetText = """
                Rules = [
                    CustomSql "select count(*) from primary" between 4 and 6,
                    CustomSql "select count(*) from primary where status = 'lost'" = 0,
                    CustomSql "select id from primary where amount is not null" with threshold >= 0.8,
                    CustomSql "delete from primary" = 0
                ]
                """,
        });

        var validated = await DatasetValidatedProbe.PublishAndAwaitAnswerAsync(fixture.Host, new DatasetLanded
        {
            JobId = jobId, Source = source, ObjectKeys = keys, RecordCount = 5, LandedAt = DateTimeOffset.UtcNow,
        });

        Assert.Equal(DatasetValidationStatus.Scored, validated.Status);
        Assert.False(validated.Passed);
        Assert.Equal(0.5, validated.Score!.Value, 1e-9);
        Assert.Equal(
            [DatasetRuleOutcome.Passed, DatasetRuleOutcome.Failed, DatasetRuleOutcome.Passed, DatasetRuleOutcome.Error],
            validated.Rules.Select(r => r.Outcome));
        Assert.Equal(5, validated.Rules[0].Metrics[ScalarMetric]);
        Assert.Equal(1, validated.Rules[1].Metrics[ScalarMetric]);
        Assert.Equal(0.8, validated.Rules[2].Metrics[ComplianceMetric]!.Value, 1e-9);
        Assert.Contains(ReadOnlyRefusal, validated.Rules[3].FailureMessage, StringComparison.Ordinal);
        Assert.All(keys, key => Assert.Equal(2, fixture.Objects.OpensOf(key)));
    }

    private async Task<Scorecard> EvaluateInlineAsync(string ruleset, IEnumerable<string> rows)
    {
        var request = new EvaluateRulesetRequest { RulesetText = ruleset, InlineRows = new InlineRows() };
        request.InlineRows.RowsJson.AddRange(rows);
        return (await Client.EvaluateRulesetAsync(request)).Scorecard;
    }

    private async Task<Scorecard> EvaluateObjectsAsync(string ruleset, ObjectStoreDataset dataset) =>
        (await Client.EvaluateRulesetAsync(new EvaluateRulesetRequest { RulesetText = ruleset, ObjectStore = dataset })).Scorecard;

    private static string UniqueSource() => $"customsql-{Guid.NewGuid():N}";

    private static string UniquePrefix() => $"raw/{UniqueSource()}/";
}
