using System.Text.Json;

namespace Sluice.Query.Tests;

/// <summary>
/// The current AWS SDK for JavaScript (@aws-sdk/client-redshift-data) against the Data API
/// endpoint: where a statement runs (exactly one of ClusterIdentifier and WorkgroupName, the
/// documented SecretArn/DbUser combinations), request fields Sluice does not support refused by
/// name, ResultFormat CSV read page by page with GetStatementResultV2, and ListStatements showing
/// only finished statements by default.
/// </summary>
public sealed class DataApiSdkTests(DataApiFixture fixture) : IClassFixture<DataApiFixture>
{
    private const string SlowSql = "SELECT sum(a.range + b.range) FROM range(100000) AS a, range(1000000) AS b";

    [Fact]
    public async Task JavaScriptSdk_ValidationRulesAndListDefault_AsTheApiReferenceStates()
    {
        var observed = await RunAsync();

        AssertValidation(observed, "neither", "Either ClusterIdentifier or WorkgroupName needs to be specified.");
        AssertValidation(observed, "both", "ClusterIdentifier and WorkgroupName cannot both be specified");
        AssertValidation(observed, "workgroupWithDbUser", "DbUser cannot be specified with WorkgroupName");
        AssertValidation(observed, "secretAndDbUser", "SecretArn and DbUser cannot both be specified");
        AssertValidation(observed, "waitTime", "'WaitTimeSeconds' is not supported");
        AssertValidation(observed, "xml", "ResultFormat 'XML' is not valid");
        AssertValidation(observed, "csvAsJson", "Query result format is CSV");
        AssertValidation(observed, "jsonAsCsv", "Query result format is JSON");
        Assert.True(observed.GetProperty("json").GetProperty("ok").GetBoolean(), observed.GetProperty("json").ToString());
        Assert.Equal("wg", observed.GetProperty("json").GetProperty("WorkgroupName").GetString());
        Assert.Equal("FINISHED", observed.GetProperty("jsonStatus").GetString());
        var described = observed.GetProperty("describe");
        Assert.Equal("JSON", described.GetProperty("ResultFormat").GetString());
        Assert.True(described.GetProperty("RedshiftPid").GetInt64() > 0, described.ToString());
        Assert.True(described.GetProperty("RedshiftQueryId").GetInt64() > 0, described.ToString());
        Assert.False(described.TryGetProperty("SubStatements", out _), "SubStatements only for batches: " + described);

        Assert.Equal("FINISHED", observed.GetProperty("csvStatus").GetString());
        Assert.Equal("CSV", observed.GetProperty("csvDescribe").GetProperty("ResultFormat").GetString());
        var listed = Assert.Single(observed.GetProperty("csvListed").GetProperty("Statements").EnumerateArray());
        Assert.Equal("CSV", listed.GetProperty("ResultFormat").GetString());
        var csv = observed.GetProperty("csvPages");
        Assert.True(csv.GetProperty("ok").GetBoolean(), csv.ToString());
        // 20 rows in pages of 7 (the fixture's ResultPageRows): three pages, the header on the first.
        Assert.Equal(3, csv.GetProperty("pages").GetInt32());
        Assert.Equal("CSV", csv.GetProperty("ResultFormat").GetString());
        Assert.Equal(20, csv.GetProperty("TotalNumRows").GetInt64());
        Assert.Equal(["n", "s"], csv.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(DataApiCsv.Expected(20), csv.GetProperty("csv").GetString());
        Assert.Equal("FINISHED", observed.GetProperty("batchCsvStatus").GetString());
        var batch = observed.GetProperty("batchCsvPages");
        Assert.True(batch.GetProperty("ok").GetBoolean(), batch.ToString());
        Assert.Equal("two\nx\n", batch.GetProperty("csv").GetString());

        var byDefault = Statuses(observed.GetProperty("listDefault"));
        var all = Statuses(observed.GetProperty("listAll"));
        // The slow statement was still running when listed: only ALL shows it.
        Assert.Equal(["FINISHED"], byDefault);
        Assert.Equal(2, all.Count);
        Assert.Contains("FINISHED", all);
        Assert.True(observed.GetProperty("cancel").GetProperty("Status").GetBoolean());
    }

    private static void AssertValidation(JsonElement observed, string request, string message)
    {
        var outcome = observed.GetProperty(request);
        Assert.True(outcome.TryGetProperty("error", out var error), $"{request} should have been refused: {outcome}");
        Assert.Equal("ValidationException", error.GetString());
        Assert.Contains(message, outcome.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static List<string> Statuses(JsonElement list)
    {
        Assert.True(list.GetProperty("ok").GetBoolean(), list.ToString());
        return list.GetProperty("Statements").EnumerateArray().Select(s => s.GetProperty("Status").GetString()!).ToList();
    }

    private Task<JsonElement> RunAsync()
    {
        var script = Path.Combine(QueryPeerClients.PeersDirectory, "data_api_sdk.js");
        return PeerProcess.RunForJsonAsync("node",
            [script, "--endpoint", fixture.Host.DataApiUrl, "--access-key", DataApiFixture.AccessKeyId, "--secret-key", DataApiFixture.SecretAccessKey, "--slow-sql", SlowSql,
             "--csv-sql", DataApiCsv.Sql(20)],
            "The JavaScript Data API client", TimeSpan.FromSeconds(120));
    }
}
