using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Sluice.Query.Engines.DuckDb;
using Sluice.Query.Statements;
using Sluice.Query.V1;
using Record = Sluice.Query.V1.Record;

namespace Sluice.Query.Tests;

/// <summary>The query service on DuckDB with a clock the tests move: sessions expire on it.</summary>
public sealed class SessionClockFixture : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public QueryHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await QueryHost.StartAsync(new Dictionary<string, string?> { ["DataApiPort"] = "-1" },
        services: services => services.AddSingleton<TimeProvider>(Clock));

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// Data API sessions on the embedded engine through gRPC (the held connection keeps temporary
/// tables, SET values and transactions; the keep-alive runs on the manager's clock), and through
/// the current AWS SDK for JavaScript. Debian's AWS CLI 2.9.19 cannot take part (its botocore model, as of early
/// 2023, has neither SessionKeepAliveSeconds nor SessionId): DataApiCliCurrentModelTests uses the AWS CLI v1 instead.
/// </summary>
public sealed class DataApiSessionTests(SessionClockFixture fixture) : IClassFixture<SessionClockFixture>
{
    private QueryService.QueryServiceClient Client => fixture.Host.Client;

    [Fact]
    public async Task ExecuteStatement_Session_SetValuesAndTransactionsSurviveBetweenStatements()
    {
        var table = "session_tx_" + Guid.NewGuid().ToString("N")[..8];
        var opened = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = $"CREATE TABLE {table} (k integer)", SessionKeepAliveSeconds = 60 });
        await FinishedAsync(opened.Id);

        await RunInSessionAsync(opened.SessionId, "SET VARIABLE session_marker = 'kept'");
        await RunInSessionAsync(opened.SessionId, "BEGIN TRANSACTION");
        await RunInSessionAsync(opened.SessionId, $"INSERT INTO {table} VALUES (1), (2)");
        var insideTransaction = await RunInSessionAsync(opened.SessionId, $"SELECT count(*) AS n, getvariable('session_marker') AS marker FROM {table}");
        await RunInSessionAsync(opened.SessionId, "ROLLBACK");
        var afterRollback = await RunInSessionAsync(opened.SessionId, $"SELECT count(*) AS n FROM {table}");

        var inside = Assert.Single(insideTransaction).Fields;
        Assert.Equal(2, inside[0].LongValue);
        Assert.Equal("kept", inside[1].StringValue);
        Assert.Equal(0, Assert.Single(afterRollback).Fields[0].LongValue);
    }

    [Fact]
    public async Task Session_KeepAliveRunsOutAfterTheLastStatement_IdIsUnknownAndItsConnectionClosed()
    {
        var manager = fixture.Host.Services.GetRequiredService<StatementManager>();
        var opened = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "CREATE TEMP TABLE kept AS SELECT 1 AS k", SessionKeepAliveSeconds = 60 });
        await FinishedAsync(opened.Id);

        // 50 s after the end: still open, and this statement starts the keep-alive again.
        fixture.Clock.Advance(TimeSpan.FromSeconds(50));
        var beforeExpiry = await RunInSessionAsync(opened.SessionId, "SELECT k FROM kept");
        fixture.Clock.Advance(TimeSpan.FromSeconds(50));
        var stillOpen = await RunInSessionAsync(opened.SessionId, "SELECT k FROM kept");
        fixture.Clock.Advance(TimeSpan.FromSeconds(61));
        var expired = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = "SELECT k FROM kept", SessionId = opened.SessionId }));

        Assert.Single(beforeExpiry);
        Assert.Single(stillOpen);
        Assert.Equal(StatusCode.NotFound, expired.StatusCode);
        Assert.Contains($"Session '{opened.SessionId}' does not exist", expired.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(opened.SessionId, manager.SessionIds);
    }

    [Fact]
    public async Task Submit_MoreSessionsThanTheLimit_ActiveSessionsExceededUntilOneExpires()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sluice-query-sessions", Guid.NewGuid().ToString("N"));
        try
        {
            var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
            var options = Options.Create(new QueryOptions { DataDirectory = directory, MaxSessions = 1 });
            var engine = new DuckDbSqlEngine(options.Value.DuckDbDirectory);
            await (await engine.OpenOrCreateAsync("dev", CancellationToken.None)).DisposeAsync();
            var manager = new StatementManager(engine, options, [], NullLogger<StatementManager>.Instance, clock);
            var first = manager.Submit(new StatementSubmission("test", "dev", ["SELECT 1 AS one"], IsBatch: false, [], SessionKeepAliveSeconds: 10));
            await WaitForEndAsync(first);

            var refused = Assert.Throws<QueryException>(() =>
                manager.Submit(new StatementSubmission("test", "dev", ["SELECT 2 AS two"], IsBatch: false, [], SessionKeepAliveSeconds: 10)));
            var otherCaller = Assert.Throws<QueryException>(() =>
                manager.Submit(new StatementSubmission("other", "", ["SELECT 2 AS two"], IsBatch: false, [], SessionId: first.Submission.SessionId)));
            clock.Advance(TimeSpan.FromSeconds(11));
            var second = manager.Submit(new StatementSubmission("test", "dev", ["SELECT 2 AS two"], IsBatch: false, [], SessionKeepAliveSeconds: 10));
            await WaitForEndAsync(second);
            manager.Dispose();

            Assert.Equal(QueryErrorType.ActiveSessionsExceededException, refused.Type);
            Assert.Contains("quota of 1 (Sluice:Query:MaxSessions)", refused.Message, StringComparison.Ordinal);
            Assert.Equal(QueryErrorType.ResourceNotFoundException, otherCaller.Type);
            Assert.Equal(StatementStatus.Finished, second.Status);
            Assert.NotEqual(first.Submission.SessionId, second.Submission.SessionId);
            // Shutdown closes the sessions left open.
            Assert.Empty(manager.SessionIds);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Session_ExpiredOrServiceStopping_ClosesItsConnectionAndRollsBackItsOpenTransaction(bool expire)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sluice-query-sessions", Guid.NewGuid().ToString("N"));
        try
        {
            var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
            var options = Options.Create(new QueryOptions { DataDirectory = directory });
            var engine = new DuckDbSqlEngine(options.Value.DuckDbDirectory);
            await using (var setup = await engine.OpenOrCreateAsync("dev", CancellationToken.None))
            {
                await using var create = setup.CreateCommand();
                create.CommandText = "CREATE TABLE held (k integer); INSERT INTO held VALUES (1)";
                await create.ExecuteNonQueryAsync();
            }
            var manager = new StatementManager(engine, options, [], NullLogger<StatementManager>.Instance, clock);
            var begin = manager.Submit(new StatementSubmission("test", "dev", ["BEGIN TRANSACTION"], IsBatch: false, [], SessionKeepAliveSeconds: 30));
            await WaitForEndAsync(begin);
            var update = manager.Submit(new StatementSubmission("test", "", ["UPDATE held SET k = 2"], IsBatch: false, [], SessionId: begin.Submission.SessionId));
            await WaitForEndAsync(update);

            // The session's open transaction holds the row: another connection conflicts on it.
            var whileHeld = await TryUpdateAsync(engine);
            if (expire)
            {
                clock.Advance(TimeSpan.FromSeconds(31));
            }
            else
            {
                manager.Dispose();
            }
            using var timeout = new CancellationTokenSource(StatementWaits.Timeout);
            string? afterClose;
            while ((afterClose = await TryUpdateAsync(engine)) is not null)
            {
                // Expiry closes the connection on the thread pool, once the timer has fired.
                await Task.Delay(50, timeout.Token);
            }
            if (expire)
            {
                manager.Dispose();
            }

            Assert.Equal(StatementStatus.Finished, update.Status);
            Assert.Contains("conflict", whileHeld, StringComparison.OrdinalIgnoreCase);
            Assert.Null(afterClose);
            Assert.Empty(manager.SessionIds);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Updates the held row on a connection of its own: null when it could, else the error.</summary>
    private static async Task<string?> TryUpdateAsync(DuckDbSqlEngine engine)
    {
        await using var connection = await engine.OpenAsync("dev", CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE held SET k = 3";
        try
        {
            await command.ExecuteNonQueryAsync();
            return null;
        }
        catch (System.Data.Common.DbException exception)
        {
            return exception.Message;
        }
    }

    private async Task<List<Record>> RunInSessionAsync(string sessionId, string sql)
    {
        var accepted = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = sql, SessionId = sessionId });
        var end = await FinishedAsync(accepted.Id);
        return end.HasResultSet ? (await Client.ReadAllPagesAsync(accepted.Id)).Records : [];
    }

    private async Task<DescribeStatementResponse> FinishedAsync(string id)
    {
        var end = await Client.WaitForEndAsync(id);
        Assert.True(end.Status == StatementStatus.Finished, $"Statement '{end.QueryString}' ended {end.Status}: {end.Error}");
        return end;
    }

    private static async Task WaitForEndAsync(Statement statement)
    {
        using var timeout = new CancellationTokenSource(StatementWaits.Timeout);
        while (!statement.IsEnded)
        {
            await statement.WaitForChangeAsync(statement.Version, timeout.Token);
        }
    }
}

/// <summary>Sessions through the current AWS SDK for JavaScript, whose model has SessionKeepAliveSeconds and SessionId.</summary>
public sealed class DataApiSessionSdkTests(DataApiFixture fixture) : IClassFixture<DataApiFixture>
{
    private const string SlowSql = "SELECT sum(a.range + b.range) FROM range(100000) AS a, range(1000000) AS b";

    [Fact]
    public async Task JavaScriptSdk_Sessions_TempTableReusedRefusalsAndExpiryAsDocumented()
    {
        var script = Path.Combine(QueryPeerClients.PeersDirectory, "data_api_sessions.js");
        var observed = await PeerProcess.RunForJsonAsync("node",
            [script, "--endpoint", fixture.Host.DataApiUrl, "--access-key", DataApiFixture.AccessKeyId, "--secret-key", DataApiFixture.SecretAccessKey, "--slow-sql", SlowSql],
            "The JavaScript Data API sessions client", TimeSpan.FromSeconds(120));

        var opened = Ok(observed, "open");
        var sessionId = opened.GetProperty("SessionId").GetString()!;
        Assert.Equal("local", opened.GetProperty("ClusterIdentifier").GetString());
        Assert.Equal("FINISHED", observed.GetProperty("openStatus").GetString());
        Assert.Equal(sessionId, Ok(observed, "reuse").GetProperty("SessionId").GetString());
        Assert.Equal("FINISHED", observed.GetProperty("reuseStatus").GetString());
        Assert.Equal(sessionId, Ok(observed, "reuseDescribe").GetProperty("SessionId").GetString());
        Assert.Equal("dev", Ok(observed, "reuseDescribe").GetProperty("Database").GetString());
        var rows = Ok(observed, "reuseResult").GetProperty("Records").EnumerateArray().ToList();
        Assert.Equal(7, Assert.Single(rows)[0].GetProperty("longValue").GetInt64());
        Assert.Equal(sessionId, Ok(observed, "batch").GetProperty("SessionId").GetString());
        Assert.Equal("FINISHED", observed.GetProperty("batchStatus").GetString());
        Assert.Equal(2, Ok(observed, "batchResult").GetProperty("Records")[0][0].GetProperty("longValue").GetInt64());
        var listed = Ok(observed, "listed").GetProperty("Statements").EnumerateArray().ToList();
        Assert.Equal(2, listed.Count);
        Assert.All(listed, s => Assert.Equal(sessionId, s.GetProperty("SessionId").GetString()));

        AssertError(observed, "withDatabase", "ValidationException", "SessionId cannot be specified with Database");
        AssertError(observed, "withCluster", "ValidationException", "SessionId cannot be specified with ClusterIdentifier");
        AssertError(observed, "unknown", "ResourceNotFoundException", "Session '00000000-0000-4000-8000-000000000000' does not exist");
        AssertError(observed, "keepAliveTooLong", "ValidationException", "SessionKeepAliveSeconds is 86401");
        Assert.Equal("STARTED", observed.GetProperty("slowStatus").GetString());
        AssertError(observed, "busy", "ValidationException", $"Session '{sessionId}' is busy");
        Assert.True(Ok(observed, "cancel").GetProperty("Status").GetBoolean());
        Assert.Equal("ABORTED", observed.GetProperty("slowEnd").GetString());

        Assert.Equal("wg", Ok(observed, "short").GetProperty("WorkgroupName").GetString());
        Assert.Equal("FINISHED", observed.GetProperty("shortStatus").GetString());
        AssertError(observed, "expired", "ResourceNotFoundException", "does not exist");
    }

    private static JsonElement Ok(JsonElement observed, string request)
    {
        var outcome = observed.GetProperty(request);
        Assert.True(outcome.TryGetProperty("ok", out _), $"{request} failed: {outcome}");
        return outcome;
    }

    private static void AssertError(JsonElement observed, string request, string type, string message)
    {
        var outcome = observed.GetProperty(request);
        Assert.True(outcome.TryGetProperty("error", out var error), $"{request} should have been refused: {outcome}");
        Assert.Equal(type, error.GetString());
        Assert.Contains(message, outcome.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
