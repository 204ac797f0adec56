using Google.Rpc;
using Grpc.Core;
using Sluice.Contracts;
using Sluice.Query.V1;
using Record = Sluice.Query.V1.Record;

namespace Sluice.Query.Tests;

/// <summary>Every QueryService operation through a real gRPC channel, run once per engine (sessions in QueryServiceContractTests.Sessions.cs).</summary>
public abstract partial class QueryServiceContractTests<TFixture>(TFixture fixture)
    where TFixture : IEngineFixture
{
    private QueryService.QueryServiceClient Client => fixture.Host.Client;

    private string Database => fixture.Database;

    private string SlowSql => fixture.SlowSql;

    [Fact]
    public async Task ExecuteStatement_SelectWithNamedParameter_FinishesWithTypedRecords()
    {
        var accepted = await Client.ExecuteStatementAsync(new ExecuteStatementRequest
        {
            Database = Database,
            Sql = "SELECT id, region, amount FROM sales WHERE amount > :min AND region = :region ORDER BY id",
            Parameters = { new SqlParameter { Name = "min", Value = "1000" }, new SqlParameter { Name = "region", Value = "north" } },
        });

        var end = await Client.WaitForEndAsync(accepted.Id);
        var (records, _, total) = await Client.ReadAllPagesAsync(accepted.Id);

        Assert.Equal(StatementStatus.Finished, end.Status);
        Assert.True(end.HasResultSet);
        Assert.Equal(end.ResultRows, total);
        Assert.Equal(total, records.Count);
        Assert.NotEmpty(records);
        Assert.All(records, r =>
        {
            Assert.Equal(Field.ValueOneofCase.LongValue, r.Fields[0].ValueCase);
            Assert.Equal("north", r.Fields[1].StringValue);
            Assert.True(AmountOf(r.Fields[2]) > 1000);
        });
        Assert.True(end.Duration > 0);
    }

    [Fact]
    public async Task ExecuteStatement_ParameterLooksLikeSql_IsBoundNotSpliced()
    {
        var end = await Client.RunAsync(Database, "SELECT count(*) AS n FROM sales WHERE region = :region", ("region", "north' OR '1'='1"));

        var (records, _, _) = await Client.ReadAllPagesAsync(end.Id);

        Assert.Equal(0, records[0].Fields[0].LongValue);
    }

    [Fact]
    public async Task GetStatementResult_ResultLargerThanOnePage_PagesThroughEveryRowWithNextToken()
    {
        var end = await Client.RunAsync(Database, "SELECT id, product, sold_at FROM sales ORDER BY id");

        var (records, pages, total) = await Client.ReadAllPagesAsync(end.Id);
        var firstPage = await Client.GetStatementResultAsync(new GetStatementResultRequest { Id = end.Id });

        Assert.Equal(40, total);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), records.Select(r => r.Fields[0].LongValue));
        Assert.Equal(6, pages); // 40 rows at 7 per page.
        Assert.Equal(["id", "product", "sold_at"], firstPage.ColumnMetadata.Select(c => c.Name));
    }

    [Fact]
    public async Task GetStatementResult_InvalidNextToken_InvalidArgument()
    {
        var end = await Client.RunAsync(Database, "SELECT id FROM sales");

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.GetStatementResultAsync(new GetStatementResultRequest { Id = end.Id, NextToken = "bm90LWEtdG9rZW4=" }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("next_token", error.GetDetail<BadRequest>()!.FieldViolations[0].Field);
    }

    [Fact]
    public async Task StreamStatementResult_FinishedStatement_SendsMetadataThenEveryRow()
    {
        var end = await Client.RunAsync(Database, "SELECT id, region FROM sales ORDER BY id");

        using var call = Client.StreamStatementResult(new StreamStatementResultRequest { Id = end.Id });
        var messages = new List<StreamStatementResultResponse>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            messages.Add(message);
        }

        Assert.Equal(StreamStatementResultResponse.PayloadOneofCase.Metadata, messages[0].PayloadCase);
        Assert.Equal(40, messages[0].Metadata.TotalNumRows);
        Assert.Equal(["id", "region"], messages[0].Metadata.ColumnMetadata.Select(c => c.Name));
        Assert.All(messages.Skip(1), m => Assert.Equal(StreamStatementResultResponse.PayloadOneofCase.Batch, m.PayloadCase));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), messages.Skip(1).SelectMany(m => m.Batch.Records).Select(r => r.Fields[0].LongValue));
    }

    [Fact]
    public async Task StreamStatementResult_SeveralBatches_SendsTheSameRecordsAsThePages()
    {
        // Stored batches are sent on without being parsed again: every field of every record
        // (longs, strings, doubles or decimals, timestamps, nulls) must match what paging returns.
        var end = await Client.RunAsync(Database, "SELECT id, region, product, amount, sold_at, NULL AS missing FROM sales ORDER BY id");

        using var call = Client.StreamStatementResult(new StreamStatementResultRequest { Id = end.Id });
        var batches = new List<RecordBatch>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            if (message.PayloadCase == StreamStatementResultResponse.PayloadOneofCase.Batch)
            {
                batches.Add(message.Batch);
            }
        }
        var (paged, pages, _) = await Client.ReadAllPagesAsync(end.Id);

        Assert.Equal(pages, batches.Count);
        Assert.Equal(paged, batches.SelectMany(b => b.Records));
        Assert.All(batches.SelectMany(b => b.Records), r => Assert.True(r.Fields[5].IsNull));
    }

    [Fact]
    public async Task ExecuteStatement_ValuesAtTheEncodingsEdges_ArriveExactOnPagesAndStream()
    {
        // Result rows are encoded value by value, without field objects: each value here sits at an edge of that
        // encoding (negative and 64-bit varints, empty and long texts, multi-byte UTF-8, midnight and fractional
        // timestamps, nulls of typed columns, false). Both read paths must give exactly these fields.
        var longAccented = new string('é', 60);
        var longWide = string.Concat(Enumerable.Repeat("日本語", 50));
        var end = await Client.RunAsync(Database,
            "SELECT CAST(-1 AS BIGINT) AS minus_one, CAST(-2147483648 AS INTEGER) AS int_min, CAST(9007199254740993 AS BIGINT) AS big, " +
            "CAST(7 AS SMALLINT) AS small, CAST(-2.5 AS DOUBLE PRECISION) AS dbl, CAST('' AS VARCHAR) AS empty, " +
            $"CAST('{longAccented}' AS VARCHAR) AS accented, CAST('{longWide}' AS VARCHAR) AS wide, CAST('ok' AS VARCHAR) AS short_text, " +
            "TRUE AS yes, FALSE AS no, CAST(NULL AS INTEGER) AS no_int, CAST(NULL AS VARCHAR) AS no_text, " +
            "TIMESTAMP '2024-01-02 00:00:00' AS midnight, TIMESTAMP '2024-01-02 03:04:05.5' AS fractional, TIMESTAMP '0999-12-31 23:59:59.000001' AS micro");

        var (paged, _, _) = await Client.ReadAllPagesAsync(end.Id);
        using var call = Client.StreamStatementResult(new StreamStatementResultRequest { Id = end.Id });
        var streamed = new List<Record>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            streamed.AddRange(message.Batch?.Records ?? []);
        }

        Assert.Equal(StatementStatus.Finished, end.Status);
        var expected = new Record
        {
            Fields =
            {
                new Field { LongValue = -1 }, new Field { LongValue = -2147483648 }, new Field { LongValue = 9007199254740993 },
                new Field { LongValue = 7 }, new Field { DoubleValue = -2.5 }, new Field { StringValue = "" },
                new Field { StringValue = longAccented }, new Field { StringValue = longWide }, new Field { StringValue = "ok" },
                new Field { BooleanValue = true }, new Field { BooleanValue = false }, new Field { IsNull = true }, new Field { IsNull = true },
                new Field { StringValue = "2024-01-02 00:00:00" }, new Field { StringValue = "2024-01-02 03:04:05.5" },
                new Field { StringValue = "0999-12-31 23:59:59.000001" },
            },
        };
        Assert.Equal(expected, Assert.Single(paged));
        Assert.Equal(expected, Assert.Single(streamed));
    }

    [Fact]
    public async Task ResultRemovedWhileBeingAskedFor_NotFoundOnBothReadPaths()
    {
        // Retention can delete a result between a request's lookup and its read of the file.
        var end = await Client.RunAsync(Database, "SELECT id FROM sales ORDER BY id");
        File.Delete(Path.Combine(fixture.Host.DataDirectory, "results", end.Id + ".batches"));

        var paged = await Assert.ThrowsAsync<RpcException>(async () => await Client.GetStatementResultAsync(new GetStatementResultRequest { Id = end.Id }));
        using var call = Client.StreamStatementResult(new StreamStatementResultRequest { Id = end.Id });
        var streamed = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.ReadAllAsync().ToListAsync());

        Assert.Equal((StatusCode.NotFound, StatusCode.NotFound), (paged.StatusCode, streamed.StatusCode));
        Assert.Contains("no longer kept", paged.Status.Detail);
        Assert.Contains("no longer kept", streamed.Status.Detail);
    }

    [Fact]
    public async Task CancelStatement_RunningStatement_AbortsItAndFreesTheEngine()
    {
        var accepted = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = Database, Sql = fixture.SlowSql });
        var started = await Client.WaitForStatusAsync(accepted.Id, StatementStatus.Started);
        Assert.Equal(StatementStatus.Started, started.Status);

        var cancelled = await Client.CancelStatementAsync(new CancelStatementRequest { Id = accepted.Id });
        var end = await Client.WaitForEndAsync(accepted.Id);
        // The fixture has one execution slot: this runs only once the cancelled command has really stopped.
        var next = await Client.RunAsync(Database, "SELECT 1 AS one");

        Assert.True(cancelled.Status);
        Assert.Equal(StatementStatus.Aborted, end.Status);
        Assert.Equal(StatementStatus.Finished, next.Status);
    }

    [Fact]
    public async Task CancelStatement_FinishedStatement_ReturnsFalse()
    {
        var end = await Client.RunAsync(Database, "SELECT 1 AS one");

        var cancelled = await Client.CancelStatementAsync(new CancelStatementRequest { Id = end.Id });

        Assert.False(cancelled.Status);
    }

    [Fact]
    public async Task ExecuteStatement_UnknownTable_FailsWithTheEngineError()
    {
        var accepted = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = Database, Sql = "SELECT * FROM no_such_table" });

        var end = await Client.WaitForEndAsync(accepted.Id);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.GetStatementResultAsync(new GetStatementResultRequest { Id = accepted.Id }));

        Assert.Equal(StatementStatus.Failed, end.Status);
        Assert.Contains("no_such_table", end.Error, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task ExecuteStatement_SameClientToken_ReturnsTheFirstStatement()
    {
        var token = Guid.NewGuid().ToString();
        var request = new ExecuteStatementRequest { Database = Database, Sql = "SELECT count(*) FROM sales", ClientToken = token };

        var first = await Client.ExecuteStatementAsync(request);
        var retry = await Client.ExecuteStatementAsync(request);
        var other = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = Database, Sql = "SELECT count(*) FROM sales", ClientToken = Guid.NewGuid().ToString() });

        Assert.Equal(first.Id, retry.Id);
        Assert.NotEqual(first.Id, other.Id);
        await Client.WaitForEndAsync(other.Id);
    }

    [Theory]
    [InlineData("", "SELECT 1", "", "database")]
    [InlineData("dev", "", "", "sql")]
    [InlineData("dev", "SELECT :missing", "", "parameters")]
    [InlineData("dev", "SELECT 1", "unused", "parameters")]
    [InlineData("dev", "SELECT :bad", "bad-name", "parameters")]
    public async Task ExecuteStatement_BadInput_InvalidArgumentNamingTheField(string database, string sql, string parameterName, string field)
    {
        var request = new ExecuteStatementRequest { Database = database, Sql = sql };
        if (parameterName.Length > 0)
        {
            request.Parameters.Add(new SqlParameter { Name = parameterName, Value = "1" });
        }

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.ExecuteStatementAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(field, error.GetDetail<BadRequest>()!.FieldViolations[0].Field);
    }

    [Theory]
    [InlineData("not-an-id")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    public async Task DescribeStatement_BadOrUnknownId_InvalidArgumentOrNotFound(string id)
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id }));

        Assert.Equal(id.StartsWith("not", StringComparison.Ordinal) ? StatusCode.InvalidArgument : StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task ExecuteStatement_CallerOverItsActiveQuota_ResourceExhausted()
    {
        var headers = new Metadata { { "x-sluice-caller", "quota-" + Guid.NewGuid().ToString("N") } };
        var options = new CallOptions(headers);
        var slow = new ExecuteStatementRequest { Database = Database, Sql = fixture.SlowSql };
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await Client.ExecuteStatementAsync(slow, options)).Id);
        }

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.ExecuteStatementAsync(slow, options));
        foreach (var id in ids)
        {
            await Client.CancelStatementAsync(new CancelStatementRequest { Id = id });
            Assert.Equal(StatementStatus.Aborted, (await Client.WaitForEndAsync(id)).Status);
        }

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("Active statements exceeded", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchExecuteStatement_ThreeStatements_RunInOrderAsSubStatements()
    {
        var table = "batch_" + Guid.NewGuid().ToString("N")[..8];
        var accepted = await Client.BatchExecuteStatementAsync(new BatchExecuteStatementRequest
        {
            Database = Database,
            Sqls = { $"CREATE TABLE {table} (a integer)", $"INSERT INTO {table} VALUES (1), (2), (3)", $"SELECT count(*) AS n FROM {table}" },
        });

        var end = await Client.WaitForEndAsync(accepted.Id);
        var count = await Client.GetStatementResultAsync(new GetStatementResultRequest { Id = accepted.Id + ":3" });
        var second = await Client.DescribeStatementAsync(new DescribeStatementRequest { Id = accepted.Id + ":2" });

        Assert.Equal(StatementStatus.Finished, end.Status);
        Assert.Equal([accepted.Id + ":1", accepted.Id + ":2", accepted.Id + ":3"], end.SubStatements.Select(s => s.Id));
        Assert.All(end.SubStatements, s => Assert.Equal(StatementStatus.Finished, s.Status));
        Assert.Equal(3, count.Records[0].Fields[0].LongValue);
        Assert.Equal(3, second.ResultRows);
        Assert.False(second.HasResultSet);
    }

    [Fact]
    public async Task BatchExecuteStatement_FailingStatement_RollsBackTheWholeBatch()
    {
        var table = "rollback_" + Guid.NewGuid().ToString("N")[..8];
        await Client.RunAsync(Database, $"CREATE TABLE {table} (a integer)");

        var accepted = await Client.BatchExecuteStatementAsync(new BatchExecuteStatementRequest
        {
            Database = Database,
            Sqls = { $"INSERT INTO {table} VALUES (1)", "SELECT * FROM no_such_table", $"INSERT INTO {table} VALUES (2)" },
        });
        var end = await Client.WaitForEndAsync(accepted.Id);
        var check = await Client.RunAsync(Database, $"SELECT count(*) FROM {table}");
        var rows = await Client.GetStatementResultAsync(new GetStatementResultRequest { Id = check.Id });

        Assert.Equal(StatementStatus.Failed, end.Status);
        Assert.Equal([StatementStatus.Finished, StatementStatus.Failed, StatementStatus.Aborted], end.SubStatements.Select(s => s.Status));
        Assert.Contains("no_such_table", end.SubStatements[1].Error, StringComparison.Ordinal);
        Assert.Equal(0, rows.Records[0].Fields[0].LongValue);
    }

    [Fact]
    public async Task GetStatementResult_BatchParentId_InvalidArgument()
    {
        var accepted = await Client.BatchExecuteStatementAsync(new BatchExecuteStatementRequest { Database = Database, Sqls = { "SELECT 1", "SELECT 2" } });
        await Client.WaitForEndAsync(accepted.Id);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.GetStatementResultAsync(new GetStatementResultRequest { Id = accepted.Id }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task ListStatements_NamePrefixStatusAndPageSize_FiltersAndPages()
    {
        var prefix = "list-" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 3; i++)
        {
            var accepted = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = Database, Sql = "SELECT 1", StatementName = $"{prefix}-{i}" });
            await Client.WaitForEndAsync(accepted.Id);
        }

        var first = await Client.ListStatementsAsync(new ListStatementsRequest { StatementName = prefix, MaxResults = 2, Status = StatementStatus.Finished });
        var second = await Client.ListStatementsAsync(new ListStatementsRequest { StatementName = prefix, MaxResults = 2, NextToken = first.NextToken, Status = StatementStatus.Finished });
        var failedOnly = await Client.ListStatementsAsync(new ListStatementsRequest { StatementName = prefix, Status = StatementStatus.Failed });

        Assert.Equal(2, first.Statements.Count);
        Assert.NotEmpty(first.NextToken);
        Assert.Single(second.Statements);
        Assert.Empty(second.NextToken);
        Assert.Equal([$"{prefix}-0", $"{prefix}-1", $"{prefix}-2"], first.Statements.Concat(second.Statements).Select(s => s.StatementName).Order());
        Assert.Empty(failedOnly.Statements);
    }

    [Fact]
    public async Task WatchStatement_Statement_ReportsLifecycleInOrderUntilItEnds()
    {
        var accepted = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = Database, Sql = "SELECT * FROM sales" });

        var states = await Client.WatchToEndAsync(accepted.Id);

        var statuses = states.Select(s => s.Status).ToList();
        Assert.Equal(StatementStatus.Finished, statuses[^1]);
        Assert.Equal(statuses.Order(), statuses);
        Assert.Equal(40, states[^1].ResultRows);
        Assert.True(states[^1].ResultSize > 0);
    }

    [Fact]
    public async Task ListDatabases_Engine_IncludesTheTestDatabase()
    {
        var response = await Client.ListDatabasesAsync(new ListDatabasesRequest { Database = Database });

        Assert.Contains(Database, response.Databases);
    }

    [Fact]
    public async Task ListSchemas_Pattern_ListsMatchingSchemas()
    {
        var all = await Client.ListSchemasAsync(new ListSchemasRequest { Database = Database });
        var none = await Client.ListSchemasAsync(new ListSchemasRequest { Database = Database, SchemaPattern = "zz_no_such_%" });

        Assert.NotEmpty(all.Schemas);
        Assert.Empty(none.Schemas);
    }

    [Fact]
    public async Task ListTables_TablePattern_FindsSales()
    {
        var response = await Client.ListTablesAsync(new ListTablesRequest { Database = Database, TablePattern = "sal%" });

        var sales = Assert.Single(response.Tables, t => t.Name == "sales");
        Assert.Equal("TABLE", sales.Type);
    }

    [Fact]
    public async Task DescribeTable_Sales_ListsItsColumnsInOrder()
    {
        var response = await Client.DescribeTableAsync(new DescribeTableRequest { Database = Database, Table = "sales" });

        Assert.Equal("sales", response.TableName);
        Assert.Equal(["id", "region", "product", "amount", "sold_at"], response.ColumnList.Select(c => c.Name));
    }

    [Fact]
    public async Task DescribeTable_WithoutTable_ListsTheColumnsOfEveryTableInTheSchema()
    {
        var table = "describe_all_" + Guid.NewGuid().ToString("N")[..8];
        await Client.RunAsync(Database, $"CREATE TABLE {table} (code integer, label text)");

        var response = await Client.DescribeTableAsync(new DescribeTableRequest { Database = Database, Schema = fixture.Schema });

        Assert.Empty(response.TableName);
        Assert.Equal(["id", "region", "product", "amount", "sold_at"], response.ColumnList.Where(c => c.TableName == "sales").Select(c => c.Name));
        Assert.Equal(["code", "label"], response.ColumnList.Where(c => c.TableName == table).Select(c => c.Name));
        Assert.All(response.ColumnList, c => Assert.Equal(fixture.Schema, c.SchemaName));
    }

    /// <summary>The NUMERIC(10,2) amount, which every engine returns as exact text with its two decimals.</summary>
    private static decimal AmountOf(Field field)
    {
        Assert.Equal(Field.ValueOneofCase.StringValue, field.ValueCase);
        Assert.Matches(@"^\d+\.\d\d$", field.StringValue);
        return decimal.Parse(field.StringValue, System.Globalization.CultureInfo.InvariantCulture);
    }
}

public sealed class DuckDbQueryServiceTests(DuckDbEngineFixture fixture) : QueryServiceContractTests<DuckDbEngineFixture>(fixture), IClassFixture<DuckDbEngineFixture>;

public sealed class PostgresQueryServiceTests(PostgresEngineFixture fixture) : QueryServiceContractTests<PostgresEngineFixture>(fixture), IClassFixture<PostgresEngineFixture>;

public sealed class RedshiftQueryServiceTests(RedshiftEngineFixture fixture) : QueryServiceContractTests<RedshiftEngineFixture>(fixture), IClassFixture<RedshiftEngineFixture>;
