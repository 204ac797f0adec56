using System.Globalization;
using Sluice.Query.V1;

namespace Sluice.Query.Tests;

/// <summary>
/// The embedded DuckDB warehouse answers in Redshift's types through gRPC: type names, precision
/// and scale, the Data API field each value fills, and Redshift's text forms.
/// </summary>
public sealed class DuckDbTypeTests(DuckDbEngineFixture fixture) : IClassFixture<DuckDbEngineFixture>
{
    private QueryService.QueryServiceClient Client => fixture.Host.Client;

    /// <summary>One column per Redshift type family: SQL expression, Redshift type, precision, scale, expected field.</summary>
    public static TheoryData<string, string, int, int, string> Families() => new()
    {
        { "CAST(7 AS SMALLINT)", "int2", 5, 0, "long:7" },
        { "CAST(-2147483648 AS INTEGER)", "int4", 10, 0, "long:-2147483648" },
        { "CAST(9007199254740993 AS BIGINT)", "int8", 19, 0, "long:9007199254740993" },
        { "CAST(0.1 AS REAL)", "float4", 8, 0, "double:0.1" },
        { "CAST(2.5e300 AS DOUBLE PRECISION)", "float8", 17, 0, "double:2.5E+300" },
        { "CAST(100.1 AS NUMERIC(10,2))", "numeric", 10, 2, "string:100.10" },
        { "CAST(-12345678901234567890.1200 AS DECIMAL(38,4))", "numeric", 38, 4, "string:-12345678901234567890.1200" },
        { "CAST(5 AS NUMERIC(12,0))", "numeric", 12, 0, "string:5" },
        { "CAST('héllo' AS VARCHAR(20))", "varchar", 0, 0, "string:héllo" },
        { "TRUE", "bool", 1, 0, "bool:true" },
        { "DATE '2024-02-29'", "date", 13, 0, "string:2024-02-29" },
        { "TIMESTAMP '2024-01-02 03:04:05'", "timestamp", 29, 6, "string:2024-01-02 03:04:05" },
        { "TIMESTAMP '2024-01-02 03:04:05.123'", "timestamp", 29, 6, "string:2024-01-02 03:04:05.123" },
        { "TIMESTAMPTZ '2024-01-02 03:04:05+02'", "timestamptz", 35, 6, "string:2024-01-02 01:04:05+00" },
        { "TIME '13:14:15'", "time", 15, 6, "string:13:14:15" },
        { "INTERVAL '1 day 2 hours'", "interval", 49, 6, "string:1 day 02:00:00" },
        { "CAST(NULL AS INTEGER)", "int4", 10, 0, "null" },
        { "CAST(NULL AS VARCHAR)", "varchar", 0, 0, "null" },
        { "CAST('\\x01\\xff' AS BLOB)", "varbyte", 0, 0, "blob:01ff" },
        { "[1, 2, 3]", "super", 0, 0, "string:[1,2,3]" },
        // Unsigned and narrow integers, and texts DuckDB.NET reads as other .NET types, take the general conversion.
        { "CAST(200 AS UTINYINT)", "int2", 5, 0, "long:200" },
        { "CAST(-100 AS TINYINT)", "int2", 5, 0, "long:-100" },
        { "CAST(4000000000 AS UINTEGER)", "int8", 19, 0, "long:4000000000" },
        { "CAST('0e2b2f5e-8f3c-4a53-b6a4-2f0f5a0c1d9e' AS UUID)", "varchar", 0, 0, "string:0e2b2f5e-8f3c-4a53-b6a4-2f0f5a0c1d9e" },
        { "TIMESTAMP_NS '2024-01-02 03:04:05.123456789'", "timestamp", 29, 6, "string:2024-01-02 03:04:05.123456" },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public async Task ExecuteStatement_EachTypeFamily_RedshiftTypeAndField(string expression, string typeName, int precision, int scale, string expected)
    {
        var end = await Client.RunAsync(fixture.Database, $"SELECT {expression} AS v");

        var page = await Client.GetStatementResultAsync(new GetStatementResultRequest { Id = end.Id });

        Assert.Equal(StatementStatus.Finished, end.Status);
        var column = Assert.Single(page.ColumnMetadata);
        Assert.Equal("v", column.Name);
        Assert.Equal("v", column.Label);
        Assert.Equal(typeName, column.TypeName);
        Assert.Equal(precision, column.Precision);
        Assert.Equal(scale, column.Scale);
        Assert.Equal(1, column.Nullable);
        Assert.Equal(expected, Describe(Assert.Single(page.Records).Fields[0]));
    }

    [Fact]
    public async Task ExecuteStatement_SumOfNumericAmounts_IsExactWithItsScale()
    {
        var end = await Client.RunAsync(fixture.Database, "SELECT SUM(amount) AS total, AVG(amount) AS mean FROM sales");

        var page = await Client.GetStatementResultAsync(new GetStatementResultRequest { Id = end.Id });

        // The demo rows' formula, in exact decimal arithmetic.
        var expected = Enumerable.Range(1, 40).Sum(i => 100 + (i * 7919 % 2400) + (i / 100m));
        Assert.Equal("numeric", page.ColumnMetadata[0].TypeName);
        Assert.Equal(2, page.ColumnMetadata[0].Scale);
        Assert.Equal(expected.ToString("F2", CultureInfo.InvariantCulture), page.Records[0].Fields[0].StringValue);
    }

    [Fact]
    public async Task DescribeTable_Sales_DeclaredTypesAndNullability()
    {
        var table = "typed_" + Guid.NewGuid().ToString("N")[..8];
        await Client.RunAsync(fixture.Database, $"CREATE TABLE {table} (id INTEGER NOT NULL, code VARCHAR(12), price NUMERIC(9,3) NOT NULL, paid_at TIMESTAMPTZ, ok BOOLEAN)");

        var described = await Client.DescribeTableAsync(new DescribeTableRequest { Database = fixture.Database, Table = table });

        Assert.Equal(["int4", "varchar", "numeric", "timestamptz", "bool"], described.ColumnList.Select(c => c.TypeName));
        Assert.Equal([0, 1, 0, 1, 1], described.ColumnList.Select(c => c.Nullable));
        var price = described.ColumnList[2];
        Assert.Equal((9, 3), (price.Precision, price.Scale));
    }

    [Fact]
    public async Task ExecuteStatement_UnknownTable_ErrorHasNoEngineName()
    {
        var accepted = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = fixture.Database, Sql = "SELECT * FROM no_such_table_here" });

        var end = await Client.WaitForEndAsync(accepted.Id);

        Assert.Equal(StatementStatus.Failed, end.Status);
        Assert.StartsWith("ERROR: ", end.Error, StringComparison.Ordinal);
        Assert.Contains("no_such_table_here", end.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("DuckDB", end.Error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Catalog Error", end.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchExecuteStatement_InsertAndUpdate_ReportChangedRows()
    {
        var table = "counted_" + Guid.NewGuid().ToString("N")[..8];
        var accepted = await Client.BatchExecuteStatementAsync(new BatchExecuteStatementRequest
        {
            Database = fixture.Database,
            Sqls = { $"CREATE TABLE {table} (a INTEGER)", $"INSERT INTO {table} SELECT range FROM range(5)", $"/* bump */ UPDATE {table} SET a = a + 1 WHERE a > 1" },
        });

        var end = await Client.WaitForEndAsync(accepted.Id);

        Assert.Equal(StatementStatus.Finished, end.Status);
        Assert.Equal([5L, 3L], end.SubStatements.Skip(1).Select(s => s.ResultRows));
    }

    private static string Describe(Field field) => field.ValueCase switch
    {
        Field.ValueOneofCase.IsNull => "null",
        Field.ValueOneofCase.LongValue => "long:" + field.LongValue.ToString(CultureInfo.InvariantCulture),
        Field.ValueOneofCase.DoubleValue => "double:" + field.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
        Field.ValueOneofCase.BooleanValue => "bool:" + (field.BooleanValue ? "true" : "false"),
        Field.ValueOneofCase.StringValue => "string:" + field.StringValue,
        Field.ValueOneofCase.BlobValue => "blob:" + Convert.ToHexStringLower(field.BlobValue.Span),
        _ => field.ValueCase.ToString(),
    };
}
