using System.Globalization;
using System.Text.Json;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Sluice.Query.V1;
using Record = Sluice.Query.V1.Record;

namespace Sluice.Query.Tests;

/// <summary>
/// Python grpcio and grpc-js run a parameterized SELECT through QueryService and read its result
/// streamed and paged. The server sends stored batches as pre-serialized protobuf, so independent
/// decoders must read exactly what the Sluice client (the generated C# client on Grpc.Net.Client)
/// reads of the same statement. The peers (Peers/README.md) only report what they observed; the
/// expectations are here.
/// </summary>
public abstract class PeerClientsReadQueryResultsTests<TFixture>(TFixture fixture)
    where TFixture : IEngineFixture
{
    /// <summary>The peers' query: <c>SELECT id, region, amount FROM sales WHERE amount &gt; :min ORDER BY id</c>, min = 1000.</summary>
    private const decimal MinAmount = 1000m;

    private static readonly string[] QueryColumns = ["id", "region", "amount"];

    private static readonly string[] Regions = ["north", "south", "east", "west"];

    private static readonly EnumDescriptor StatusDescriptor = QueryReflection.Descriptor.FindTypeByName<EnumDescriptor>(nameof(StatementStatus));

    private static readonly string FinishedName = StatusDescriptor.FindValueByNumber((int)StatementStatus.Finished).Name;

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private QueryService.QueryServiceClient Client => fixture.Host.Client;

    [Theory]
    [InlineData(QueryPeerClients.Python)]
    [InlineData(QueryPeerClients.Node)]
    public async Task ParameterizedSelect_ReadByPeer_SameRowsStreamedAndPagedAsTheSluiceClient(string peer)
    {
        var observed = await QueryPeerClients.RunAsync(peer, fixture.Host.GrpcAddress, fixture.Database);

        var execute = observed.GetProperty("execute");
        Assert.Equal("OK", StatusOf(execute));
        var id = execute.GetProperty("id").GetString()!;
        // The same statement read by the Sluice client: the same stored batches, decoded by C#.
        var reference = await ReadWithSluiceClientAsync(id);
        var expected = ExpectedRows();
        var expectedIds = expected.Select(row => row.Id).ToList();
        // The oracle and the reference are checked too, so that agreeing with them means something.
        Assert.Equal((2L, "east", 1538.02m), expected[0]);
        Assert.Equal(expectedIds, reference.PagedRecords.Select(record => record.Fields[0].LongValue));
        AssertSameRows(reference.PagedRecords.Select(RowText), reference.StreamedRecords.Select(RowText), "Sluice client, streamed vs paged");

        var watch = observed.GetProperty("watch");
        Assert.Equal("OK", StatusOf(watch));
        var watched = Strings(watch.GetProperty("statuses"));
        Assert.Equal(FinishedName, watched[^1]);
        var watchedNumbers = watched.Select(name => StatusDescriptor.FindValueByName(name)?.Number ?? -1).ToList();
        Assert.DoesNotContain(-1, watchedNumbers);
        Assert.Equal(watchedNumbers.Order(), watchedNumbers);

        var describe = observed.GetProperty("describe");
        Assert.Equal("OK", StatusOf(describe));
        Assert.Equal(FinishedName, describe.GetProperty("statement_status").GetString());
        Assert.True(describe.GetProperty("has_result_set").GetBoolean());
        Assert.Equal(expected.Count, describe.GetProperty("result_rows").GetInt64());
        Assert.Equal(reference.Statement.ResultRows, describe.GetProperty("result_rows").GetInt64());
        var parameter = Assert.Single(describe.GetProperty("query_parameters").EnumerateArray());
        Assert.Equal(("min", "1000"), (parameter.GetProperty("name").GetString(), parameter.GetProperty("value").GetString()));

        var stream = observed.GetProperty("stream");
        Assert.Equal("OK", StatusOf(stream));
        var kinds = Strings(stream.GetProperty("message_kinds"));
        Assert.Equal("metadata", kinds[0]);
        Assert.All(kinds.Skip(1), kind => Assert.Equal("batch", kind));
        Assert.Equal(QueryColumns, Strings(stream.GetProperty("columns")));
        Assert.Equal(reference.StreamColumns, Strings(stream.GetProperty("columns")));
        Assert.Equal(expected.Count, stream.GetProperty("total_num_rows").GetInt64());
        Assert.True(stream.GetProperty("batches").GetInt32() > 1, "The result must span several batches.");
        Assert.Equal(reference.BatchRows.Count, stream.GetProperty("batches").GetInt32());
        Assert.Equal(reference.BatchRows, Ints(stream.GetProperty("batch_rows")));
        AssertSameRows(reference.StreamedRecords.Select(RowText), Rows(stream).Select(RowText), $"{peer} streamed vs Sluice client streamed");
        Assert.Equal(expectedIds, Longs(stream.GetProperty("ids")));

        var paged = observed.GetProperty("paged");
        Assert.Equal("OK", StatusOf(paged));
        Assert.True(paged.GetProperty("pages").GetInt32() > 1, "The result must span several pages.");
        Assert.Equal(reference.PageRows.Count, paged.GetProperty("pages").GetInt32());
        Assert.Equal(reference.PageRows, Ints(paged.GetProperty("page_rows")));
        Assert.All(paged.GetProperty("page_columns").EnumerateArray(), columns => Assert.Equal(QueryColumns, Strings(columns)));
        Assert.All(Longs(paged.GetProperty("page_total_num_rows")), total => Assert.Equal(expected.Count, total));
        AssertSameRows(reference.PagedRecords.Select(RowText), Rows(paged).Select(RowText), $"{peer} paged vs Sluice client paged");
        Assert.Equal(expectedIds, Longs(paged.GetProperty("ids")));

        // Both paths, as the peer decoded them: the same split, the same rows, the seeded values.
        Assert.Equal(Ints(paged.GetProperty("page_rows")), Ints(stream.GetProperty("batch_rows")));
        AssertSameRows(Rows(paged).Select(RowText), Rows(stream).Select(RowText), $"{peer} streamed vs {peer} paged");
        Assert.Equal(expected, Rows(stream).Select(row => (long.Parse(row[0].GetProperty("long_value").GetString()!, CultureInfo.InvariantCulture), row[1].GetProperty("string_value").GetString()!, AmountOf(row[2]))));

        var invalidToken = observed.GetProperty("invalid_next_token");
        Assert.Equal("INVALID_ARGUMENT", StatusOf(invalidToken));
        Assert.Equal(reference.InvalidTokenDetail, invalidToken.GetProperty("details").GetString());

        var unknownId = observed.GetProperty("unknown_id");
        Assert.Equal("NOT_FOUND", unknownId.GetProperty("describe").GetString());
        Assert.Equal("NOT_FOUND", unknownId.GetProperty("get_result").GetString());
        Assert.Equal("NOT_FOUND", unknownId.GetProperty("stream_result").GetString());
    }

    /// <summary>
    /// The rows the peers' query must return, from the formula both demo seeds use (DemoSeeder
    /// and PostgresEngineFixture) rather than from any run.
    /// </summary>
    private static List<(long Id, string Region, decimal Amount)> ExpectedRows() =>
        Enumerable.Range(1, 40)
            .Select(i => (Id: (long)i, Region: Regions[i % Regions.Length], Amount: 100 + (i * 7919 % 2400) + (i / 100m)))
            .Where(row => row.Amount > MinAmount)
            .ToList();

    private async Task<SluiceClientRead> ReadWithSluiceClientAsync(string id)
    {
        var statement = await Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id }, Deadline());

        var streamColumns = new List<string>();
        var batchRows = new List<int>();
        var streamed = new List<Record>();
        using (var call = Client.StreamStatementResult(new StreamStatementResultRequest { Id = id }, Deadline()))
        {
            await foreach (var message in call.ResponseStream.ReadAllAsync())
            {
                if (message.PayloadCase == StreamStatementResultResponse.PayloadOneofCase.Metadata)
                {
                    streamColumns.AddRange(message.Metadata.ColumnMetadata.Select(column => column.Name));
                }
                else
                {
                    batchRows.Add(message.Batch.Records.Count);
                    streamed.AddRange(message.Batch.Records);
                }
            }
        }

        var pageRows = new List<int>();
        var paged = new List<Record>();
        var token = "";
        do
        {
            var page = await Client.GetStatementResultAsync(new GetStatementResultRequest { Id = id, NextToken = token }, Deadline());
            pageRows.Add(page.Records.Count);
            paged.AddRange(page.Records);
            token = page.NextToken;
        }
        while (token.Length > 0);

        var invalidToken = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.GetStatementResultAsync(new GetStatementResultRequest { Id = id, NextToken = "bm90LWEtdG9rZW4=" }, Deadline()));
        return new SluiceClientRead(statement, streamColumns, batchRows, streamed, pageRows, paged, invalidToken.Status.Detail);
    }

    /// <summary>Equal rows in order; a failure shows the first differing row in full, which a collection diff truncates.</summary>
    private static void AssertSameRows(IEnumerable<string> expected, IEnumerable<string> actual, string comparison)
    {
        var expectedRows = expected.ToList();
        var actualRows = actual.ToList();
        for (var i = 0; i < Math.Min(expectedRows.Count, actualRows.Count); i++)
        {
            Assert.True(expectedRows[i] == actualRows[i], $"{comparison}: row {i} is [{actualRows[i]}], expected [{expectedRows[i]}].");
        }
        Assert.True(expectedRows.Count == actualRows.Count, $"{comparison}: {actualRows.Count} rows, expected {expectedRows.Count}.");
    }

    private static CallOptions Deadline() => new(deadline: DateTime.UtcNow + CallTimeout);

    /// <summary>A record as comparable text: each field's oneof member and value.</summary>
    private static string RowText(Record record) => string.Join(" | ", record.Fields.Select(FieldText));

    private static string RowText(List<JsonElement> row) => string.Join(" | ", row.Select(FieldText));

    private static string FieldText(Field field) => field.ValueCase switch
    {
        Field.ValueOneofCase.None => "unset",
        Field.ValueOneofCase.IsNull => "is_null=" + BoolText(field.IsNull),
        Field.ValueOneofCase.BooleanValue => "boolean_value=" + BoolText(field.BooleanValue),
        Field.ValueOneofCase.LongValue => "long_value=" + field.LongValue.ToString(CultureInfo.InvariantCulture),
        // "R": the shortest text that round-trips, so equal text means the same double.
        Field.ValueOneofCase.DoubleValue => "double_value=" + field.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
        Field.ValueOneofCase.StringValue => "string_value=" + field.StringValue,
        Field.ValueOneofCase.BlobValue => "blob_value=" + field.BlobValue.ToBase64(),
        _ => throw new ArgumentOutOfRangeException(nameof(field), field.ValueCase, "Unknown Field member."),
    };

    /// <summary>A field as a peer printed it ({member: value}, {} when unset), as the same text.</summary>
    private static string FieldText(JsonElement field)
    {
        var members = field.EnumerateObject().ToList();
        if (members.Count == 0)
        {
            return "unset";
        }
        var member = Assert.Single(members);
        var value = member.Value;
        return member.Name + "=" + member.Name switch
        {
            "is_null" or "boolean_value" => BoolText(value.GetBoolean()),
            "double_value" => value.GetDouble().ToString("R", CultureInfo.InvariantCulture),
            // long_value is decimal text (exact int64), blob_value base64.
            _ => value.GetString(),
        };
    }

    private static string BoolText(bool value) => value ? "true" : "false";

    /// <summary>Every engine returns the NUMERIC(10,2) amount as exact text, as Redshift does.</summary>
    private static decimal AmountOf(JsonElement field) =>
        decimal.Parse(field.GetProperty("string_value").GetString()!, CultureInfo.InvariantCulture);

    private static List<List<JsonElement>> Rows(JsonElement path) =>
        path.GetProperty("records").EnumerateArray().Select(row => row.EnumerateArray().ToList()).ToList();

    private static string? StatusOf(JsonElement call) =>
        call.ValueKind == JsonValueKind.Object ? call.GetProperty("status").GetString() : $"no call ({call.ValueKind})";

    private static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(item => item.GetString()!).ToList();

    private static List<int> Ints(JsonElement array) => array.EnumerateArray().Select(item => item.GetInt32()).ToList();

    private static List<long> Longs(JsonElement array) => array.EnumerateArray().Select(item => item.GetInt64()).ToList();

    private sealed record SluiceClientRead(
        DescribeStatementResponse Statement,
        List<string> StreamColumns,
        List<int> BatchRows,
        List<Record> StreamedRecords,
        List<int> PageRows,
        List<Record> PagedRecords,
        string InvalidTokenDetail);
}

public sealed class DuckDbPeerClientsReadQueryResultsTests(DuckDbEngineFixture fixture)
    : PeerClientsReadQueryResultsTests<DuckDbEngineFixture>(fixture), IClassFixture<DuckDbEngineFixture>;

public sealed class PostgresPeerClientsReadQueryResultsTests(PostgresEngineFixture fixture)
    : PeerClientsReadQueryResultsTests<PostgresEngineFixture>(fixture), IClassFixture<PostgresEngineFixture>;
