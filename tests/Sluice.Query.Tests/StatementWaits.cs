using Grpc.Core;
using Sluice.Query.V1;
using Record = Sluice.Query.V1.Record;

namespace Sluice.Query.Tests;

/// <summary>Awaiting statement states through WatchStatement, each wait bounded.</summary>
public static class StatementWaits
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Every state WatchStatement reports until the statement ends; the last one is the end.</summary>
    public static async Task<List<DescribeStatementResponse>> WatchToEndAsync(this QueryService.QueryServiceClient client, string id)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var call = client.WatchStatement(new WatchStatementRequest { Id = id }, new CallOptions(cancellationToken: timeout.Token));
        var states = new List<DescribeStatementResponse>();
        await foreach (var change in call.ResponseStream.ReadAllAsync(timeout.Token))
        {
            states.Add(change.Statement);
        }
        return states;
    }

    public static async Task<DescribeStatementResponse> WaitForEndAsync(this QueryService.QueryServiceClient client, string id) =>
        (await client.WatchToEndAsync(id))[^1];

    /// <summary>Waits until the statement reports <paramref name="status"/> (or ends).</summary>
    public static async Task<DescribeStatementResponse> WaitForStatusAsync(this QueryService.QueryServiceClient client, string id, StatementStatus status)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var call = client.WatchStatement(new WatchStatementRequest { Id = id }, new CallOptions(cancellationToken: timeout.Token));
        DescribeStatementResponse? last = null;
        await foreach (var change in call.ResponseStream.ReadAllAsync(timeout.Token))
        {
            last = change.Statement;
            if (last.Status == status)
            {
                break;
            }
        }
        return last!;
    }

    /// <summary>Runs <paramref name="sql"/> to its end and asserts it finished.</summary>
    public static async Task<DescribeStatementResponse> RunAsync(this QueryService.QueryServiceClient client, string database, string sql, params (string Name, string Value)[] parameters)
    {
        var request = new ExecuteStatementRequest { Database = database, Sql = sql };
        foreach (var (name, value) in parameters)
        {
            request.Parameters.Add(new SqlParameter { Name = name, Value = value });
        }
        var accepted = await client.ExecuteStatementAsync(request);
        var end = await client.WaitForEndAsync(accepted.Id);
        Assert.True(end.Status == StatementStatus.Finished, $"Statement '{sql}' ended {end.Status}: {end.Error}");
        return end;
    }

    /// <summary>Every record of a finished statement, following next_token.</summary>
    public static async Task<(List<Record> Records, int Pages, long Total)> ReadAllPagesAsync(this QueryService.QueryServiceClient client, string id)
    {
        var records = new List<Record>();
        var pages = 0;
        long total = 0;
        var token = "";
        do
        {
            var page = await client.GetStatementResultAsync(new GetStatementResultRequest { Id = id, NextToken = token });
            records.AddRange(page.Records);
            total = page.TotalNumRows;
            token = page.NextToken;
            pages++;
        }
        while (token.Length > 0);
        return (records, pages, total);
    }
}
