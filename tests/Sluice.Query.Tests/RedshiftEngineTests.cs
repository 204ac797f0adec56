using Grpc.Core;
using Sluice.Query.V1;

namespace Sluice.Query.Tests;

/// <summary>
/// What only the Redshift engine does, end to end through gRPC on the service under test and the
/// Data API of the warehouse service (the shared contract runs as RedshiftQueryServiceTests).
/// </summary>
public sealed class RedshiftEngineTests(RedshiftEngineFixture fixture) : IClassFixture<RedshiftEngineFixture>
{
    [Fact]
    public async Task ExecuteStatement_Select_RunsOnTheWarehouseAndCopiesEveryRemotePage()
    {
        var name = "remote-" + Guid.NewGuid().ToString("N")[..8];
        var accepted = await fixture.Host.Client.ExecuteStatementAsync(new ExecuteStatementRequest
        {
            Database = "dev", Sql = "SELECT id, region FROM sales WHERE region = :region ORDER BY id", StatementName = name,
            Parameters = { new SqlParameter { Name = "region", Value = "east" } },
        });
        var end = await fixture.Host.Client.WaitForEndAsync(accepted.Id);
        var (records, _, total) = await fixture.Host.Client.ReadAllPagesAsync(accepted.Id);
        var remote = Assert.Single((await fixture.Warehouse.Client.ListStatementsAsync(new ListStatementsRequest { StatementName = name, RoleLevel = true })).Statements);

        Assert.Equal(StatementStatus.Finished, end.Status);
        Assert.Equal(10, total);
        Assert.All(records, r => Assert.Equal("east", r.Fields[1].StringValue));
        // The warehouse ran it (its pages hold 5 rows, so the copy followed two remote pages).
        Assert.Equal(StatementStatus.Finished, remote.Status);
        Assert.NotEqual(accepted.Id, remote.Id);
        Assert.Equal("east", Assert.Single(remote.QueryParameters).Value);
    }

    [Fact]
    public async Task CancelStatement_RunningRemotely_AbortsTheWarehouseStatementToo()
    {
        var name = "cancel-" + Guid.NewGuid().ToString("N")[..8];
        var accepted = await fixture.Host.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = fixture.SlowSql, StatementName = name });
        await fixture.Host.Client.WaitForStatusAsync(accepted.Id, StatementStatus.Started);

        await fixture.Host.Client.CancelStatementAsync(new CancelStatementRequest { Id = accepted.Id });
        var end = await fixture.Host.Client.WaitForEndAsync(accepted.Id);
        var remote = Assert.Single((await fixture.Warehouse.Client.ListStatementsAsync(new ListStatementsRequest { StatementName = name, RoleLevel = true })).Statements);
        var remoteEnd = await fixture.Warehouse.Client.WaitForEndAsync(remote.Id);

        Assert.Equal(StatementStatus.Aborted, end.Status);
        Assert.Equal(StatementStatus.Aborted, remoteEnd.Status);
    }

    [Fact]
    public async Task ListDatabasesSchemasTables_Remote_ComeFromTheWarehouse()
    {
        var table = "remote_catalog_" + Guid.NewGuid().ToString("N")[..8];
        await fixture.Warehouse.Client.RunAsync("dev", $"CREATE TABLE {table} (k integer NOT NULL, v text)");

        var databases = await fixture.Host.Client.ListDatabasesAsync(new ListDatabasesRequest { Database = "dev" });
        var schemas = await fixture.Host.Client.ListSchemasAsync(new ListSchemasRequest { Database = "dev" });
        var tables = await fixture.Host.Client.ListTablesAsync(new ListTablesRequest { Database = "dev", TablePattern = "remote_catalog_%" });
        var columns = await fixture.Host.Client.DescribeTableAsync(new DescribeTableRequest { Database = "dev", Table = table });

        Assert.Contains("dev", databases.Databases);
        Assert.Equal(["main"], schemas.Schemas);
        Assert.Contains(tables.Tables, t => t.Name == table && t.Type == "TABLE");
        Assert.Equal(["k", "v"], columns.ColumnList.Select(c => c.Name));
        Assert.Equal([0, 1], columns.ColumnList.Select(c => c.Nullable));
    }

    [Fact]
    public async Task ListTables_InvalidDatabaseName_RemoteValidationErrorIsInvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await fixture.Host.Client.ListTablesAsync(new ListTablesRequest { Database = "not-a-name" }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("not-a-name", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongSecret_CatalogCallAndStatement_FailWithAClearCredentialsError()
    {
        await using var wrong = await QueryHost.StartAsync(RedshiftEngineFixture.RedshiftSettings(fixture.Warehouse, "not-the-warehouse-secret"));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await wrong.Client.ListTablesAsync(new ListTablesRequest { Database = "dev" }));
        var accepted = await wrong.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT 1" });
        var end = await wrong.Client.WaitForEndAsync(accepted.Id);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("refused Sluice's AWS credentials (InvalidSignatureException)", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("Sluice:Query:Redshift:AccessKeyId", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatementStatus.Failed, end.Status);
        Assert.Contains("InvalidSignatureException", end.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListTables_WarehouseFailsUnexpectedly_InternalWithoutLeakingTheEndpoint()
    {
        // A path the warehouse does not serve: it answers HTTP 404 with no AWS error type, which the
        // engine reports as InternalServerException naming the endpoint. That message is for the log
        // and the statement's own error, never for a gRPC status.
        var settings = RedshiftEngineFixture.RedshiftSettings(fixture.Warehouse, RedshiftEngineFixture.SecretAccessKey);
        settings["Redshift:EndpointUrl"] = fixture.Warehouse.DataApiUrl + "/not-the-data-api";
        var authority = new Uri(fixture.Warehouse.DataApiUrl).Authority;
        await using var broken = await QueryHost.StartAsync(settings);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await broken.Client.ListTablesAsync(new ListTablesRequest { Database = "dev" }));
        var accepted = await broken.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT 1" });
        var end = await broken.Client.WaitForEndAsync(accepted.Id);

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.StartsWith("Internal error (reference ", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(authority, error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Redshift Data API", error.Status.Detail, StringComparison.Ordinal);
        // The same failure, as the engine reports it: it does name the endpoint and the HTTP status.
        Assert.Equal(StatementStatus.Failed, end.Status);
        Assert.Contains(authority, end.Error, StringComparison.Ordinal);
        Assert.Contains("HTTP 404", end.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteStatement_NoDatabaseWithAConfiguredOne_RunsOnTheConfiguredDatabase()
    {
        var settings = RedshiftEngineFixture.RedshiftSettings(fixture.Warehouse, RedshiftEngineFixture.SecretAccessKey);
        settings["Redshift:Database"] = "dev";
        await using var host = await QueryHost.StartAsync(settings);

        var end = await host.Client.RunAsync("", "SELECT count(*) AS n FROM sales");
        var result = await host.Client.GetStatementResultAsync(new GetStatementResultRequest { Id = end.Id });

        Assert.Equal("dev", end.Database);
        Assert.Equal(40, result.Records[0].Fields[0].LongValue);
    }
}
