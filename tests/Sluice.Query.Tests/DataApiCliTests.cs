using System.Text.Json;
using Sluice.Query.V1;

namespace Sluice.Query.Tests;

/// <summary>A query service whose Data API accepts one configured key, for the AWS CLI tests.</summary>
public sealed class DataApiFixture : IAsyncLifetime
{
    public const string AccessKeyId = "AKIDSLUICETEST0001";
    public const string SecretAccessKey = "sluice-test-secret/abc+123";

    public QueryHost Host { get; private set; } = null!;

    public string EmptyAwsFile { get; } = Path.GetTempFileName();

    public async Task InitializeAsync() => Host = await QueryHost.StartAsync(new Dictionary<string, string?>
    {
        ["ResultPageRows"] = "7",
        ["DataApiAccessKeys:0:AccessKeyId"] = AccessKeyId,
        ["DataApiAccessKeys:0:SecretAccessKey"] = SecretAccessKey,
    });

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        File.Delete(EmptyAwsFile);
    }
}

/// <summary>The real AWS CLI v2 (/usr/bin/aws redshift-data ...) against Sluice's Data API endpoint.</summary>
public sealed class DataApiCliTests(DataApiFixture fixture) : IClassFixture<DataApiFixture>
{
    private const string SlowSql = "SELECT sum(a.range + b.range) FROM range(100000) AS a, range(1000000) AS b";

    [Fact]
    public async Task ExecuteStatement_AwsCli_DescribeAndPaginatedResultMatch()
    {
        var executed = await AwsJsonAsync("execute-statement", "--cluster-identifier", "local", "--database", "dev", "--sql", "SELECT * FROM sales WHERE amount > 1000");
        var id = executed.GetProperty("Id").GetString()!;
        await fixture.Host.Client.WaitForEndAsync(id);

        var described = await AwsJsonAsync("describe-statement", "--id", id);
        var result = await AwsJsonAsync("get-statement-result", "--id", id);

        Assert.Equal("FINISHED", described.GetProperty("Status").GetString());
        Assert.Equal("local", executed.GetProperty("ClusterIdentifier").GetString());
        Assert.False(described.TryGetProperty("SubStatements", out _), "SubStatements only for batches");
        Assert.True(described.GetProperty("RedshiftQueryId").GetInt64() > 0);
        var rows = described.GetProperty("ResultRows").GetInt64();
        Assert.True(rows > 7, $"expected several pages of 7 rows, got {rows} rows");
        // The CLI follows NextToken itself and merges the pages' records.
        var records = result.GetProperty("Records").EnumerateArray().ToList();
        Assert.Equal(rows, records.Count);
        Assert.Equal(5, result.GetProperty("ColumnMetadata").GetArrayLength());
        Assert.All(records, r => Assert.True(decimal.Parse(r[3].GetProperty("stringValue").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 1000));
        Assert.Equal(rows, result.GetProperty("TotalNumRows").GetInt64());
    }

    [Fact]
    public async Task GetStatementResult_AwsCliEveryTypeFamily_RedshiftTypesAndFields()
    {
        const string Sql = "SELECT CAST(7 AS SMALLINT) AS i2, 42 AS i4, CAST(9007199254740993 AS BIGINT) AS i8, CAST(0.5 AS REAL) AS f4, CAST(1.25 AS DOUBLE) AS f8, " +
            "CAST(100.1 AS NUMERIC(10,2)) AS num, 'text' AS vc, TRUE AS b, DATE '2024-02-29' AS d, TIMESTAMP '2024-01-02 03:04:05.5' AS ts, " +
            "TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tstz, CAST(NULL AS INTEGER) AS n";
        var executed = await AwsJsonAsync("execute-statement", "--cluster-identifier", "local", "--database", "dev", "--sql", Sql);
        var id = executed.GetProperty("Id").GetString()!;
        await fixture.Host.Client.WaitForEndAsync(id);

        var result = await AwsJsonAsync("get-statement-result", "--id", id);

        var types = result.GetProperty("ColumnMetadata").EnumerateArray().Select(c => c.GetProperty("typeName").GetString()).ToList();
        Assert.Equal(["int2", "int4", "int8", "float4", "float8", "numeric", "varchar", "bool", "date", "timestamp", "timestamptz", "int4"], types);
        var numeric = result.GetProperty("ColumnMetadata")[5];
        Assert.Equal((10, 2), (numeric.GetProperty("precision").GetInt32(), numeric.GetProperty("scale").GetInt32()));
        var row = Assert.Single(result.GetProperty("Records").EnumerateArray()).EnumerateArray().Select(f => f.EnumerateObject().Single()).ToList();
        Assert.Equal(
            ["longValue=7", "longValue=42", "longValue=9007199254740993", "doubleValue=0.5", "doubleValue=1.25", "stringValue=100.10", "stringValue=text", "booleanValue=True",
             "stringValue=2024-02-29", "stringValue=2024-01-02 03:04:05.5", "stringValue=2024-01-02 03:04:05+00", "isNull=True"],
            row.Select(f => f.Name + "=" + f.Value));
    }

    [Fact]
    public async Task ExecuteStatement_AwsCliParameters_BindsNamedParameter()
    {
        var executed = await AwsJsonAsync("execute-statement", "--cluster-identifier", "local", "--database", "dev", "--sql", "SELECT id, region FROM sales WHERE region = :region ORDER BY id",
            "--parameters", "[{\"name\":\"region\",\"value\":\"north\"}]");
        var id = executed.GetProperty("Id").GetString()!;
        await fixture.Host.Client.WaitForEndAsync(id);

        var result = await AwsJsonAsync("get-statement-result", "--id", id);

        var regions = result.GetProperty("Records").EnumerateArray().Select(r => r[1].GetProperty("stringValue").GetString()).ToList();
        Assert.Equal(10, regions.Count);
        Assert.All(regions, r => Assert.Equal("north", r));
    }

    [Fact]
    public async Task BatchExecuteStatement_AwsCli_RunsSubStatements()
    {
        var table = "cli_" + Guid.NewGuid().ToString("N")[..8];
        var executed = await AwsJsonAsync("batch-execute-statement", "--cluster-identifier", "local", "--database", "dev", "--sqls", $"CREATE TABLE {table} (a INTEGER)", $"INSERT INTO {table} VALUES (1), (2)");
        var id = executed.GetProperty("Id").GetString()!;
        await fixture.Host.Client.WaitForEndAsync(id);

        var described = await AwsJsonAsync("describe-statement", "--id", id);

        var subs = described.GetProperty("SubStatements").EnumerateArray().ToList();
        Assert.Equal([id + ":1", id + ":2"], subs.Select(s => s.GetProperty("Id").GetString()));
        Assert.All(subs, s => Assert.Equal("FINISHED", s.GetProperty("Status").GetString()));
        Assert.Equal(2, subs[1].GetProperty("ResultRows").GetInt64());
        // Each sub-statement is its own warehouse query, run in order.
        var queryIds = subs.Select(s => s.GetProperty("RedshiftQueryId").GetInt64()).ToList();
        Assert.True(queryIds[0] > 0 && queryIds[1] > queryIds[0], string.Join(", ", queryIds));
        Assert.True(described.GetProperty("RedshiftPid").GetInt64() > 0);
    }

    [Fact]
    public async Task CancelStatement_AwsCliOnRunningStatement_Aborts()
    {
        var executed = await AwsJsonAsync("execute-statement", "--cluster-identifier", "local", "--database", "dev", "--sql", SlowSql);
        var id = executed.GetProperty("Id").GetString()!;
        await fixture.Host.Client.WaitForStatusAsync(id, StatementStatus.Started);

        var cancelled = await AwsJsonAsync("cancel-statement", "--id", id);
        var end = await fixture.Host.Client.WaitForEndAsync(id);

        Assert.True(cancelled.GetProperty("Status").GetBoolean());
        Assert.Equal(StatementStatus.Aborted, end.Status);
    }

    [Fact]
    public async Task ListStatements_AwsCli_FindsANamedStatement()
    {
        var name = "cli-list-" + Guid.NewGuid().ToString("N")[..8];
        var executed = await AwsJsonAsync("execute-statement", "--cluster-identifier", "local", "--database", "dev", "--sql", "SELECT 1", "--statement-name", name);
        var id = executed.GetProperty("Id").GetString()!;
        await fixture.Host.Client.WaitForEndAsync(id);

        var listed = await AwsJsonAsync("list-statements", "--statement-name", name, "--status", "FINISHED");

        var statement = Assert.Single(listed.GetProperty("Statements").EnumerateArray());
        Assert.Equal(id, statement.GetProperty("Id").GetString());
        Assert.Equal("SELECT 1", statement.GetProperty("QueryString").GetString());
    }

    [Fact]
    public async Task ListTablesAndDescribeTable_AwsCli_ShowSales()
    {
        var tables = await AwsJsonAsync("list-tables", "--cluster-identifier", "local", "--database", "dev", "--table-pattern", "sales");
        var described = await AwsJsonAsync("describe-table", "--cluster-identifier", "local", "--database", "dev", "--table", "sales");
        var databases = await AwsJsonAsync("list-databases", "--cluster-identifier", "local", "--database", "dev");
        var schemas = await AwsJsonAsync("list-schemas", "--cluster-identifier", "local", "--database", "dev");

        var sales = Assert.Single(tables.GetProperty("Tables").EnumerateArray());
        Assert.Equal("sales", sales.GetProperty("name").GetString());
        Assert.Equal(["id", "region", "product", "amount", "sold_at"], described.GetProperty("ColumnList").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Contains("dev", databases.GetProperty("Databases").EnumerateArray().Select(d => d.GetString()));
        Assert.Contains("main", schemas.GetProperty("Schemas").EnumerateArray().Select(d => d.GetString()));
    }

    [Fact]
    public async Task DescribeStatement_AwsCliUnknownId_ResourceNotFound()
    {
        var (exitCode, _, stderr) = await AwsAsync(DataApiFixture.SecretAccessKey, "describe-statement", "--id", Guid.NewGuid().ToString());

        Assert.NotEqual(0, exitCode);
        Assert.Contains("ResourceNotFoundException", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteStatement_AwsCliWithoutClusterOrWorkgroup_ValidationExceptionAsAws()
    {
        var (exitCode, _, stderr) = await AwsAsync(DataApiFixture.SecretAccessKey, "execute-statement", "--database", "dev", "--sql", "SELECT 1");
        var workgroup = await AwsJsonAsync("execute-statement", "--workgroup-name", "analytics", "--database", "dev", "--sql", "SELECT 1");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("ValidationException", stderr, StringComparison.Ordinal);
        Assert.Contains("Either ClusterIdentifier or WorkgroupName needs to be specified.", stderr, StringComparison.Ordinal);
        Assert.Equal("analytics", workgroup.GetProperty("WorkgroupName").GetString());
    }

    [Fact]
    public async Task ExecuteStatement_AwsCliWrongSecret_RefusedAsInvalidSignature()
    {
        var (exitCode, _, stderr) = await AwsAsync("not-the-secret", "execute-statement", "--cluster-identifier", "local", "--database", "dev", "--sql", "SELECT 1");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("InvalidSignatureException", stderr, StringComparison.Ordinal);
    }

    private async Task<JsonElement> AwsJsonAsync(params string[] arguments)
    {
        var (exitCode, stdout, stderr) = await AwsAsync(DataApiFixture.SecretAccessKey, arguments);
        Assert.True(exitCode == 0, $"aws {string.Join(' ', arguments)} exited {exitCode}: {stderr}");
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> AwsAsync(string secret, params string[] arguments)
    {
        return await AwsCli.RunAsync(new[] { "redshift-data" }.Concat(arguments).Concat(["--endpoint-url", fixture.Host.DataApiUrl, "--output", "json"]),
            DataApiFixture.AccessKeyId, secret, fixture.EmptyAwsFile);
    }
}
