using System.Text;
using Grpc.Core;
using Sluice.Query.V1;

namespace Sluice.Query.Tests;

/// <summary>A statement whose CSV text needs quoting, and the CSV GetStatementResultV2 should return for it.</summary>
internal static class DataApiCsv
{
    /// <summary><paramref name="rows"/> rows: n = 0.., and s = a,"b"n (a comma and quotes, so quoted).</summary>
    public static string Sql(int rows) =>
        $"SELECT range AS n, 'a,\"b\"' || CAST(range AS VARCHAR) AS s FROM range({rows}) ORDER BY n";

    /// <summary>RFC 4180 text of <see cref="Sql"/>'s result, headed by the column names.</summary>
    public static string Expected(int rows)
    {
        var text = new StringBuilder("n,s\n");
        for (var n = 0; n < rows; n++)
        {
            text.Append(n).Append(",\"a,\"\"b\"\"").Append(n).Append("\"\n");
        }
        return text.ToString();
    }
}

/// <summary>ResultFormat CSV over gRPC: GetStatementResultV2 paging, and each reader refusing the other format.</summary>
public sealed class DataApiCsvTests(DataApiFixture fixture) : IClassFixture<DataApiFixture>
{
    private QueryService.QueryServiceClient Client => fixture.Host.Client;

    [Fact]
    public async Task GetStatementResultV2_GrpcCsvStatement_PagesJoinToTheWholeCsv()
    {
        var accepted = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = DataApiCsv.Sql(16), Database = "dev", ResultFormat = "CSV" });
        var end = await Client.WaitForEndAsync(accepted.Id);
        Assert.Equal(StatementStatus.Finished, end.Status);

        var text = new StringBuilder();
        var pages = new List<GetStatementResultV2Response>();
        var token = "";
        do
        {
            var page = await Client.GetStatementResultV2Async(new GetStatementResultV2Request { Id = accepted.Id, NextToken = token });
            pages.Add(page);
            text.Append(string.Concat(page.Records.Select(r => r.CsvRecords)));
            token = page.NextToken;
        }
        while (token.Length > 0 && pages.Count < 10);

        // 16 rows in pages of 7 (the fixture's ResultPageRows).
        Assert.Equal(3, pages.Count);
        Assert.Equal(DataApiCsv.Expected(16), text.ToString());
        Assert.All(pages, p => Assert.Equal(("CSV", 16L, 2), (p.ResultFormat, p.TotalNumRows, p.ColumnMetadata.Count)));
        Assert.Equal("CSV", end.ResultFormat);
    }

    [Fact]
    public async Task GetStatementResult_GrpcEachReaderOnTheOtherFormat_InvalidArgumentNamingTheFormat()
    {
        var csv = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = "SELECT 1 AS one", Database = "dev", ResultFormat = "CSV" });
        var json = await Client.BatchExecuteStatementAsync(new BatchExecuteStatementRequest { Sqls = { "SELECT 1 AS one" }, Database = "dev", ResultFormat = "JSON" });
        await Client.WaitForEndAsync(csv.Id);
        await Client.WaitForEndAsync(json.Id);

        var jsonReader = await Assert.ThrowsAsync<RpcException>(async () => await Client.GetStatementResultAsync(new GetStatementResultRequest { Id = csv.Id }));
        var csvReader = await Assert.ThrowsAsync<RpcException>(async () => await Client.GetStatementResultV2Async(new GetStatementResultV2Request { Id = json.Id + ":1" }));
        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Sql = "SELECT 1", Database = "dev", ResultFormat = "PARQUET" }));

        Assert.Equal(StatusCode.InvalidArgument, jsonReader.StatusCode);
        Assert.Contains("Query result format is CSV", jsonReader.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, csvReader.StatusCode);
        Assert.Contains("Query result format is JSON", csvReader.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.Contains("ResultFormat 'PARQUET' is not valid", unknown.Status.Detail, StringComparison.Ordinal);
    }
}
