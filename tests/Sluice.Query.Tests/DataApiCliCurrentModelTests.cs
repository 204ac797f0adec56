using System.Text.Json;

namespace Sluice.Query.Tests;

/// <summary>
/// What Debian's AWS CLI v2 cannot send, through the AWS CLI v1 whose botocore model is current (pip's awscli in the
/// machine's Python, see <see cref="AwsCli.CurrentModelCommandAsync"/>): ResultFormat CSV read with
/// get-statement-result-v2, each reader refusing the other format, and sessions that keep a temporary table.
/// </summary>
public sealed class DataApiCliCurrentModelTests(DataApiFixture fixture) : IClassFixture<DataApiFixture>
{
    [Fact]
    public async Task GetStatementResultV2_AwsCliCsvStatement_PagesMergedIntoTheWholeCsv()
    {
        // 20 rows in pages of 7 (the fixture's ResultPageRows): the CLI follows NextToken itself.
        var executed = await AwsJsonAsync("execute-statement", "--cluster-identifier", "local", "--database", "dev",
            "--result-format", "CSV", "--sql", DataApiCsv.Sql(20));
        var id = executed.GetProperty("Id").GetString()!;
        await fixture.Host.Client.WaitForEndAsync(id);

        var described = await AwsJsonAsync("describe-statement", "--id", id);
        var result = await AwsJsonAsync("get-statement-result-v2", "--id", id);
        var refused = await AwsAsync("get-statement-result", "--id", id);

        Assert.Equal("FINISHED", described.GetProperty("Status").GetString());
        Assert.Equal("CSV", described.GetProperty("ResultFormat").GetString());
        Assert.Equal("CSV", result.GetProperty("ResultFormat").GetString());
        Assert.Equal(20, result.GetProperty("TotalNumRows").GetInt64());
        Assert.Equal(["n", "s"], result.GetProperty("ColumnMetadata").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var csv = string.Concat(result.GetProperty("Records").EnumerateArray().Select(r => r.GetProperty("CSVRecords").GetString()));
        Assert.Equal(DataApiCsv.Expected(20), csv);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("ValidationException", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("Query result format is CSV", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStatementResultV2_AwsCliJsonStatement_ValidationExceptionNamingTheFormat()
    {
        var executed = await AwsJsonAsync("execute-statement", "--cluster-identifier", "local", "--database", "dev", "--sql", "SELECT 1 AS one");
        var id = executed.GetProperty("Id").GetString()!;
        await fixture.Host.Client.WaitForEndAsync(id);

        var (exitCode, _, stderr) = await AwsAsync("get-statement-result-v2", "--id", id);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("ValidationException", stderr, StringComparison.Ordinal);
        Assert.Contains("Query result format is JSON", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteStatement_AwsCliSessionKeepAlive_TemporaryTableReadByTheNextStatementOfTheSession()
    {
        var opened = await AwsJsonAsync("execute-statement", "--cluster-identifier", "local", "--database", "dev",
            "--session-keep-alive-seconds", "120", "--sql", "CREATE TEMP TABLE staged AS SELECT 7 AS n");
        var sessionId = opened.GetProperty("SessionId").GetString()!;
        await fixture.Host.Client.WaitForEndAsync(opened.GetProperty("Id").GetString()!);

        var reused = await AwsJsonAsync("execute-statement", "--session-id", sessionId, "--sql", "SELECT n FROM staged");
        var reusedId = reused.GetProperty("Id").GetString()!;
        await fixture.Host.Client.WaitForEndAsync(reusedId);
        var described = await AwsJsonAsync("describe-statement", "--id", reusedId);
        var rows = await AwsJsonAsync("get-statement-result", "--id", reusedId);
        var withDatabase = await AwsAsync("execute-statement", "--session-id", sessionId, "--database", "dev", "--sql", "SELECT 1");

        Assert.Equal(sessionId, reused.GetProperty("SessionId").GetString());
        Assert.True(described.GetProperty("Status").GetString() == "FINISHED", described.ToString());
        Assert.Equal(sessionId, described.GetProperty("SessionId").GetString());
        Assert.Equal(7, Assert.Single(rows.GetProperty("Records").EnumerateArray())[0].GetProperty("longValue").GetInt64());
        Assert.NotEqual(0, withDatabase.ExitCode);
        Assert.Contains("ValidationException", withDatabase.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteStatement_AwsCliUnknownSession_ResourceNotFound()
    {
        var (exitCode, _, stderr) = await AwsAsync("execute-statement", "--session-id", "00000000-0000-4000-8000-000000000000", "--sql", "SELECT 1");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("ResourceNotFoundException", stderr, StringComparison.Ordinal);
        Assert.Contains("Session '00000000-0000-4000-8000-000000000000' does not exist", stderr, StringComparison.Ordinal);
    }

    private async Task<JsonElement> AwsJsonAsync(params string[] arguments)
    {
        var (exitCode, stdout, stderr) = await AwsAsync(arguments);
        Assert.True(exitCode == 0, $"aws {string.Join(' ', arguments)} exited {exitCode}: {stderr}");
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> AwsAsync(params string[] arguments) =>
        await AwsCli.RunAsync(new[] { "redshift-data" }.Concat(arguments).Concat(["--endpoint-url", fixture.Host.DataApiUrl, "--output", "json"]),
            DataApiFixture.AccessKeyId, DataApiFixture.SecretAccessKey, fixture.EmptyAwsFile, maxAttempts: 1, command: await AwsCli.CurrentModelCommandAsync());
}
