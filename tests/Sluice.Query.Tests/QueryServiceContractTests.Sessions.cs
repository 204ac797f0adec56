using Grpc.Core;
using Sluice.Query.V1;

namespace Sluice.Query.Tests;

// Sessions (session_keep_alive_seconds, session_id) on every engine: the held connection on DuckDB
// and PostgreSQL, the remote Data API's own session on Redshift.
public abstract partial class QueryServiceContractTests<TFixture>
{
    [Fact]
    public async Task ExecuteStatement_SessionKeepAlive_TempTableIsReadByTheNextStatementInTheSession()
    {
        var table = "session_temp_" + Guid.NewGuid().ToString("N")[..8];
        var opened = await Client.ExecuteStatementAsync(new ExecuteStatementRequest
        {
            Database = Database, Sql = $"CREATE TEMP TABLE {table} AS SELECT 42 AS answer", SessionKeepAliveSeconds = 600,
        });
        var created = await Client.WaitForEndAsync(opened.Id);
        var reused = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = $"SELECT answer FROM {table}", SessionId = opened.SessionId });
        var read = await Client.WaitForEndAsync(reused.Id);
        var (records, _, _) = await Client.ReadAllPagesAsync(reused.Id);
        var batch = await Client.BatchExecuteStatementAsync(new BatchExecuteStatementRequest
        {
            Sqls = { $"INSERT INTO {table} VALUES (43)", $"SELECT count(*) AS n FROM {table}" }, SessionId = opened.SessionId,
        });
        var batchEnd = await Client.WaitForEndAsync(batch.Id);
        var count = await Client.GetStatementResultAsync(new GetStatementResultRequest { Id = batch.Id + ":2" });
        // A statement outside the session has a connection of its own, without the temporary table.
        var outside = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = Database, Sql = $"SELECT answer FROM {table}" });
        var outsideEnd = await Client.WaitForEndAsync(outside.Id);
        var listed = await Client.ListStatementsAsync(new ListStatementsRequest { MaxResults = 100 });

        Assert.True(created.Status == StatementStatus.Finished, created.Error);
        Assert.Matches("^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}$", opened.SessionId);
        Assert.Equal(opened.SessionId, created.SessionId);
        Assert.Equal(opened.SessionId, reused.SessionId);
        Assert.Equal(Database, reused.Database);
        Assert.True(read.Status == StatementStatus.Finished, read.Error);
        Assert.Equal(opened.SessionId, read.SessionId);
        Assert.Equal(42, Assert.Single(records).Fields[0].LongValue);
        Assert.True(batchEnd.Status == StatementStatus.Finished, batchEnd.Error);
        Assert.Equal(opened.SessionId, batch.SessionId);
        Assert.Equal(2, Assert.Single(count.Records).Fields[0].LongValue);
        Assert.Equal(StatementStatus.Failed, outsideEnd.Status);
        Assert.Contains(table, outsideEnd.Error, StringComparison.Ordinal);
        Assert.Empty(outsideEnd.SessionId);
        Assert.Equal(opened.SessionId, listed.Statements.Single(s => s.Id == reused.Id).SessionId);
        Assert.Empty(listed.Statements.Single(s => s.Id == outside.Id).SessionId);
    }

    [Fact]
    public async Task ExecuteStatement_SessionRunningAStatement_RefusesAnotherUntilItEnds()
    {
        var slow = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = Database, Sql = SlowSql, SessionKeepAliveSeconds = 600 });
        await Client.WaitForStatusAsync(slow.Id, StatementStatus.Started);

        var busy = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = "SELECT 1 AS one", SessionId = slow.SessionId }));
        await Client.CancelStatementAsync(new CancelStatementRequest { Id = slow.Id });
        var slowEnd = await Client.WaitForEndAsync(slow.Id);
        // Once the running statement has ended, the session takes the next one.
        var next = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = "SELECT 1 AS one", SessionId = slow.SessionId });
        var nextEnd = await Client.WaitForEndAsync(next.Id);

        Assert.Equal(StatusCode.InvalidArgument, busy.StatusCode);
        Assert.Contains($"Session '{slow.SessionId}' is busy", busy.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(slow.Id, busy.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatementStatus.Aborted, slowEnd.Status);
        Assert.True(nextEnd.Status == StatementStatus.Finished, nextEnd.Error);
    }

    [Fact]
    public async Task ExecuteStatement_SessionIdWithDatabaseOrUnknown_RefusedNamingTheProblem()
    {
        var opened = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = Database, Sql = "SELECT 1 AS one", SessionKeepAliveSeconds = 600 });
        await Client.WaitForEndAsync(opened.Id);

        var withDatabase = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = "SELECT 1", SessionId = opened.SessionId, Database = Database }));
        var batchWithCluster = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.BatchExecuteStatementAsync(new BatchExecuteStatementRequest { Sqls = { "SELECT 1" }, SessionId = opened.SessionId, ClusterIdentifier = "c" }));
        var unknownId = Guid.NewGuid().ToString();
        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = "SELECT 1", SessionId = unknownId }));
        var malformed = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = "SELECT 1", SessionId = "not-a-session" }));
        var tooLong = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = Database, Sql = "SELECT 1", SessionKeepAliveSeconds = 86_401 }));

        Assert.Equal(StatusCode.InvalidArgument, withDatabase.StatusCode);
        Assert.Contains("SessionId cannot be specified with Database", withDatabase.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, batchWithCluster.StatusCode);
        Assert.Contains("SessionId cannot be specified with ClusterIdentifier", batchWithCluster.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Contains($"Session '{unknownId}' does not exist", unknown.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
        Assert.Contains("'not-a-session' is not a session id", malformed.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, tooLong.StatusCode);
        Assert.Contains("SessionKeepAliveSeconds is 86401", tooLong.Status.Detail, StringComparison.Ordinal);
    }
}
