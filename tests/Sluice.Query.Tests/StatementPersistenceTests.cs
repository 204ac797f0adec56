using Grpc.Core;
using Npgsql;
using Sluice.Query.V1;
using Record = Sluice.Query.V1.Record;

namespace Sluice.Query.Tests;

/// <summary>
/// Statements kept in the PostgreSQL state store (SLUICE_TEST_POSTGRES): a query service started
/// on the same database and data directory answers for the statements of the one before it.
/// </summary>
public sealed class StatementPersistenceTests(StateDatabaseFixture database) : IClassFixture<StateDatabaseFixture>, IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "sluice-query-tests", Guid.NewGuid().ToString("N"));

    private Dictionary<string, string?> Settings()
    {
        var settings = IEngineFixture.CommonSettings();
        settings["Engine"] = "DuckDb";
        settings["DataDirectory"] = _dataDirectory;
        settings["MaxConcurrentStatements"] = "2";
        return settings;
    }

    private Task<QueryHost> StartAsync() => QueryHost.StartAsync(Settings(), database.Settings());

    [Fact]
    public async Task Restart_FinishedStatements_DescribeResultAndListAnswerAsBefore()
    {
        var before = await StartAsync();
        string finished, failed, batch, tokened;
        DescribeStatementResponse[] described;
        (List<Record> Records, int Pages, long Total) result, batchResult;
        List<string> listed;
        await using (before)
        {
            var client = before.Client;
            finished = (await client.RunAsync("dev", "SELECT region, COUNT(*) AS n FROM sales GROUP BY region ORDER BY region")).Id;
            failed = (await client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT * FROM no_such_table" })).Id;
            await client.WaitForEndAsync(failed);
            batch = (await client.BatchExecuteStatementAsync(new BatchExecuteStatementRequest
            {
                Database = "dev", Sqls = { "CREATE TABLE kept AS SELECT 1 AS a", "SELECT a, a + 1 AS b FROM kept" }, StatementName = "kept-batch",
            })).Id;
            await client.WaitForEndAsync(batch);
            tokened = (await client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT 42 AS answer", ClientToken = "token-1" })).Id;
            await client.WaitForEndAsync(tokened);
            described = await DescribeAllAsync(client, finished, failed, batch, tokened);
            result = await client.ReadAllPagesAsync(finished);
            batchResult = await client.ReadAllPagesAsync(batch + ":2");
            listed = (await client.ListStatementsAsync(new ListStatementsRequest { MaxResults = 100 })).Statements.Select(s => s.Id).ToList();
        }

        await using var after = await StartAsync();

        Assert.Equal(described, await DescribeAllAsync(after.Client, finished, failed, batch, tokened));
        Assert.Equal(StatementStatus.Finished, described[0].Status);
        Assert.Equal(StatementStatus.Failed, described[1].Status);
        Assert.Equal(result, await after.Client.ReadAllPagesAsync(finished), ResultComparer.Instance);
        Assert.Equal(batchResult, await after.Client.ReadAllPagesAsync(batch + ":2"), ResultComparer.Instance);
        Assert.Equal(listed, (await after.Client.ListStatementsAsync(new ListStatementsRequest { MaxResults = 100 })).Statements.Select(s => s.Id).ToList());
        // The client token still names the statement it created: a retry after the restart runs nothing new.
        var retried = await after.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT 42 AS answer", ClientToken = "token-1" });
        Assert.Equal(tokened, retried.Id);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await after.Client.GetStatementResultAsync(new GetStatementResultRequest { Id = failed }));
        Assert.Contains("FAILED", error.Status.Detail);
    }

    /// <summary>
    /// A statement the stopped process had STARTED, and whose end it never wrote (its process
    /// died: the test puts back the row it had before stopping), is FAILED at the next start with
    /// a reason saying so, never left running.
    /// </summary>
    [Fact]
    public async Task Restart_StatementRunningWhenTheProcessDied_IsFailedWithTheReason()
    {
        string running;
        string storedWhileRunning;
        await using (var before = await StartAsync())
        {
            running = (await before.Client.ExecuteStatementAsync(new ExecuteStatementRequest
            {
                Database = "dev", Sql = "SELECT sum(a.range + b.range) FROM range(100000) AS a, range(1000000) AS b",
            })).Id;
            await before.Client.WaitForStatusAsync(running, StatementStatus.Started);
            storedWhileRunning = await WaitForStoredStatusAsync(running, "STARTED");
        }
        await ReplaceStoredAsync(running, storedWhileRunning);

        await using var after = await StartAsync();
        var end = await after.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = running });

        Assert.Equal(StatementStatus.Failed, end.Status);
        Assert.Contains("The query service stopped while the statement was STARTED", end.Error);
        // And so it stays: the failure is written back (behind the transition, hence waited for).
        await WaitForStoredStatusAsync(running, "FAILED");
    }

    /// <summary>
    /// A statement is accepted only once it is stored: when the store cannot record it (its table
    /// is gone for the moment), the request fails UNAVAILABLE naming the store and nothing runs.
    /// </summary>
    [Fact]
    public async Task ExecuteStatement_StoreCannotRecordIt_IsRefusedUnavailableAndNotRun()
    {
        await using var host = await StartAsync();
        var name = "unrecorded-" + Guid.NewGuid().ToString("N")[..8];
        await AlterAsync("ALTER TABLE sluice_query.statements RENAME TO statements_away");
        RpcException refused;
        try
        {
            refused = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.ExecuteStatementAsync(new ExecuteStatementRequest
            {
                Database = "dev", Sql = "CREATE TABLE never_made AS SELECT 1 AS a", StatementName = name,
            }));
        }
        finally
        {
            await AlterAsync("ALTER TABLE sluice_query.statements_away RENAME TO statements");
        }

        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("Sluice:Query:State", refused.Status.Detail);
        Assert.Empty((await host.Client.ListStatementsAsync(new ListStatementsRequest { StatementName = name })).Statements);
        // Nothing ran: the table the statement would have made does not exist.
        var check = await host.Client.RunAsync("dev", "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'never_made'");
        Assert.Equal(0, Assert.Single((await host.Client.ReadAllPagesAsync(check.Id)).Records).Fields[0].LongValue);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A result file still open; the temp folder is cleaned by the OS.
        }
    }

    private static async Task<DescribeStatementResponse[]> DescribeAllAsync(QueryService.QueryServiceClient client, params string[] ids)
    {
        var described = new List<DescribeStatementResponse>();
        foreach (var id in ids)
        {
            described.Add(await client.DescribeStatementAsync(new DescribeStatementRequest { Id = id }));
        }
        return described.ToArray();
    }

    private async Task<string> WaitForStoredStatusAsync(string id, string status)
    {
        using var timeout = new CancellationTokenSource(StatementWaits.Timeout);
        while (true)
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using var read = new NpgsqlCommand("SELECT status, data::text FROM sluice_query.statements WHERE id = $1", connection) { Parameters = { new() { Value = id } } };
            await using var reader = await read.ExecuteReaderAsync();
            if (await reader.ReadAsync() && reader.GetString(0) == status)
            {
                return reader.GetString(1);
            }
            Assert.False(timeout.IsCancellationRequested, $"Statement {id} was not stored as {status} within {StatementWaits.Timeout.TotalSeconds} s.");
            await Task.Delay(20);
        }
    }

    private async Task AlterAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var alter = new NpgsqlCommand(sql, connection);
        await alter.ExecuteNonQueryAsync();
    }

    private async Task<string?> StoredStatusAsync(string id)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT status FROM sluice_query.statements WHERE id = $1", connection) { Parameters = { new() { Value = id } } };
        return (string?)await read.ExecuteScalarAsync();
    }

    private async Task ReplaceStoredAsync(string id, string data)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var write = new NpgsqlCommand("UPDATE sluice_query.statements SET status = 'STARTED', data = $2::jsonb WHERE id = $1", connection)
        {
            Parameters = { new() { Value = id }, new() { Value = data } },
        };
        Assert.Equal(1, await write.ExecuteNonQueryAsync());
    }

    /// <summary>Compares results read page by page: the records and the page and row counts.</summary>
    private sealed class ResultComparer : IEqualityComparer<(List<Record> Records, int Pages, long Total)>
    {
        public static readonly ResultComparer Instance = new();

        public bool Equals((List<Record> Records, int Pages, long Total) x, (List<Record> Records, int Pages, long Total) y) =>
            x.Pages == y.Pages && x.Total == y.Total && x.Records.SequenceEqual(y.Records);

        public int GetHashCode((List<Record> Records, int Pages, long Total) obj) => obj.Total.GetHashCode();
    }
}
