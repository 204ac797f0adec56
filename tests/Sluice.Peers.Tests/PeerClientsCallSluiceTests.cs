using System.Globalization;
using System.Text.Json;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.Core;
using Sluice.Query.V1;
using Sluice.Validation.V1;
using Status = Google.Rpc.Status;

namespace Sluice.Peers.Tests;

/// <summary>
/// Python grpcio and grpc-js clients call every service of the all-in-one host: unary and
/// server-streaming calls, rich error details, unknown methods, deadlines and gzip. The peers
/// (Peers/README.md) only report what they observed; the expectations, and the Sluice client's
/// reading of the same calls where there is one to compare with, are here.
/// </summary>
[Collection(SluiceHostCollection.Name)]
public sealed class PeerClientsCallSluiceTests(SluiceHostFixture fixture)
{
    private const string QueryServiceName = "sluice.query.v1.QueryService";
    private const string ValidationServiceName = "sluice.validation.v1.ValidationService";

    // The peers' validation requests (peer_client.py / .js), the same JSON values.
    private const string PersonSchema = """{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"age":{"type":"integer","maximum":150}}}""";
    private const string InvalidPerson = """{"age":200}""";
    private const string NotJson = "{not json";

    private static readonly string[] Regions = ["north", "south", "east", "west"];

    private static readonly EnumDescriptor StatementStatusDescriptor = QueryReflection.Descriptor.FindTypeByName<EnumDescriptor>(nameof(StatementStatus));

    private SluiceHost Host => fixture.Host;

    public static TheoryData<string> Languages => Peers.Languages;

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Version_PeerProcess_ReportsItsGrpcImplementationAndReachesTheHost(string peer)
    {
        // A peer that is missing (no python3-grpcio, no node_modules) must fail here, not skip.
        var observed = await fixture.RunAsync(peer, "version");

        Assert.Equal(peer, observed.GetProperty("language").GetString());
        Assert.Equal(peer == Peers.Python ? "grpcio" : "grpc-js", observed.GetProperty("implementation").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+", observed.GetProperty("grpc_version").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+", observed.GetProperty("protobuf_version").GetString());
        Assert.Equal("SERVING", observed.GetProperty("check").GetString());
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task HealthCheckAndWatch_EveryListener_Serving(string peer)
    {
        var observed = await fixture.RunAsync(peer, "health");

        foreach (var listener in SluiceHost.Listeners)
        {
            var health = observed.GetProperty(listener.ToLowerInvariant());
            var checks = health.GetProperty("check");
            Assert.True(checks.GetProperty("").GetString() == "SERVING", $"{listener}: Check \"\" is {checks.GetProperty("")}");
            // Each listener answers for the service it serves; another listener's service is not found there.
            Assert.Equal(listener == "Query" ? "SERVING" : "NOT_FOUND", checks.GetProperty(QueryServiceName).GetString());
            Assert.Equal(listener == "Validation" ? "SERVING" : "NOT_FOUND", checks.GetProperty(ValidationServiceName).GetString());
            Assert.Equal("NOT_FOUND", health.GetProperty("check_unknown").GetString());
            var watch = health.GetProperty("watch");
            Assert.Equal("OK", watch.GetProperty("status").GetString());
            Assert.Equal("SERVING", watch.GetProperty("first").GetString());
        }
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task ValidateDocument_ValidAndInvalidDocuments_ValidityAndTheSluiceClientsErrors(string peer)
    {
        var observed = await fixture.RunAsync(peer, "validation");
        var reference = await ValidationClient.ValidateDocumentAsync(
            new ValidateDocumentRequest { SchemaJson = PersonSchema, DocumentJson = InvalidPerson }, deadline: Deadline());

        var valid = observed.GetProperty("valid");
        Assert.Equal("OK", valid.GetProperty("status").GetString());
        Assert.True(valid.GetProperty("valid").GetBoolean());
        Assert.Empty(valid.GetProperty("errors").EnumerateArray());

        var invalid = observed.GetProperty("invalid");
        Assert.Equal("OK", invalid.GetProperty("status").GetString());
        Assert.False(invalid.GetProperty("valid").GetBoolean());
        var errors = invalid.GetProperty("errors").EnumerateArray()
            .Select(e => (Instance: e.GetProperty("instance_location").GetString()!, Keyword: e.GetProperty("keyword").GetString()!,
                Schema: e.GetProperty("schema_location").GetString()!, Message: e.GetProperty("message").GetString()!))
            .ToList();
        Assert.Equal(reference.Errors.Select(e => (Instance: e.InstanceLocation, e.Keyword, Schema: e.SchemaLocation, e.Message)), errors);
        // The reference is checked too, so that agreeing with it means something.
        Assert.Equal(new[] { ("", "required"), ("/age", "maximum") }, errors.Select(e => (e.Instance, e.Keyword)).Order());
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task ValidateDocument_DocumentNotJson_InvalidArgumentWithBadRequestNamingTheField(string peer)
    {
        var observed = await fixture.RunAsync(peer, "validation");
        var reference = await Assert.ThrowsAsync<RpcException>(async () => await ValidationClient.ValidateDocumentAsync(
            new ValidateDocumentRequest { SchemaJson = PersonSchema, DocumentJson = NotJson }, deadline: Deadline()));

        var badField = observed.GetProperty("bad_field");
        Assert.Equal("INVALID_ARGUMENT", badField.GetProperty("status").GetString());
        var status = DetailsOf(badField);
        Assert.Equal((int)StatusCode.InvalidArgument, status.Code);
        Assert.Equal(badField.GetProperty("details").GetString(), status.Message);
        var badRequest = status.GetDetail<BadRequest>();
        Assert.NotNull(badRequest);
        var violation = Assert.Single(badRequest.FieldViolations);
        Assert.Equal("document_json", violation.Field);
        Assert.StartsWith("Not valid JSON", violation.Description);
        // The bytes the peer received decode to what the Sluice client decodes.
        Assert.Equal(reference.GetRpcStatus(), status);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task GetSchema_UnknownName_NotFoundWithResourceInfo(string peer)
    {
        var observed = await fixture.RunAsync(peer, "validation");

        var unknown = observed.GetProperty("unknown_schema");
        var name = unknown.GetProperty("name").GetString()!;
        Assert.Equal("NOT_FOUND", unknown.GetProperty("status").GetString());
        var status = DetailsOf(unknown);
        Assert.Equal((int)StatusCode.NotFound, status.Code);
        var resource = status.GetDetail<ResourceInfo>();
        Assert.NotNull(resource);
        Assert.Equal(name, resource.ResourceName);
        var reference = await Assert.ThrowsAsync<RpcException>(async () =>
            await ValidationClient.GetSchemaAsync(new GetSchemaRequest { Name = name }, deadline: Deadline()));
        Assert.Equal(reference.GetRpcStatus(), status);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task ExecuteStatement_ParameterizedAggregateOnDev_WatchedToFinishedAndStreamedAsTheSluiceClientReadsIt(string peer)
    {
        var observed = await fixture.RunAsync(peer, "query");

        var execute = observed.GetProperty("execute");
        Assert.Equal("OK", execute.GetProperty("status").GetString());
        Assert.Equal("dev", execute.GetProperty("database").GetString());
        var id = execute.GetProperty("id").GetString()!;

        var watch = observed.GetProperty("watch");
        Assert.Equal("OK", watch.GetProperty("status").GetString());
        var statuses = watch.GetProperty("statuses").EnumerateArray().Select(s => StatementStatusDescriptor.FindValueByName(s.GetString())?.Number ?? -1).ToList();
        Assert.Equal((int)StatementStatus.Finished, statuses[^1]);
        Assert.Equal(statuses.Order(), statuses);

        var stream = observed.GetProperty("stream");
        Assert.Equal("OK", stream.GetProperty("status").GetString());
        var kinds = stream.GetProperty("message_kinds").EnumerateArray().Select(k => k.GetString()).ToList();
        Assert.Equal("metadata", kinds[0]);
        Assert.All(kinds.Skip(1), kind => Assert.Equal("batch", kind));
        Assert.Equal(new[] { "region", "n", "total" }, stream.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!));
        var rows = stream.GetProperty("records").EnumerateArray().Select(PeerRow).ToList();
        Assert.Equal(stream.GetProperty("total_num_rows").GetInt64(), rows.Count);

        // The same statement read by the Sluice client.
        var reference = new List<(string Region, long Count, string Total)>();
        using (var call = QueryClient.StreamStatementResult(new StreamStatementResultRequest { Id = id }, deadline: Deadline()))
        {
            await foreach (var message in call.ResponseStream.ReadAllAsync())
            {
                if (message.PayloadCase == StreamStatementResultResponse.PayloadOneofCase.Batch)
                {
                    reference.AddRange(message.Batch.Records.Select(r => (r.Fields[0].StringValue, r.Fields[1].LongValue, r.Fields[2].StringValue)));
                }
            }
        }
        Assert.Equal(reference, rows);

        // And both agree with the demo seed's formula, so that agreeing means something.
        var expected = Enumerable.Range(1, 40)
            .Select(i => (Region: Regions[i % Regions.Length], Amount: 100 + (i * 7919 % 2400) + (i / 100m)))
            .Where(row => row.Amount > 1000m)
            .GroupBy(row => row.Region)
            .OrderBy(group => group.Key, StringComparer.Ordinal)
            .Select(group => (Region: group.Key, Count: (long)group.Count(), Total: group.Sum(row => row.Amount)))
            .ToList();
        Assert.Equal(expected.Select(e => (e.Region, e.Count)), rows.Select(r => (r.Region, r.Count)));
        Assert.Equal(28, rows.Sum(r => r.Count));
        // Exact, with the column's two decimals, as Redshift returns NUMERIC(10,2) sums.
        Assert.All(expected.Zip(rows), pair => Assert.Equal(pair.First.Total.ToString("F2", CultureInfo.InvariantCulture), pair.Second.Total));
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task DescribeAndWatchStatement_UnknownId_NotFound(string peer)
    {
        var observed = await fixture.RunAsync(peer, "query");

        Assert.Equal("NOT_FOUND", observed.GetProperty("unknown_describe").GetString());
        Assert.Equal("NOT_FOUND", observed.GetProperty("unknown_watch").GetString());
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Call_MethodOrServiceNotOnTheListener_Unimplemented(string peer)
    {
        var observed = await fixture.RunAsync(peer, "unimplemented");

        Assert.Equal("UNIMPLEMENTED", observed.GetProperty("unknown_method").GetString());
        Assert.Equal("UNIMPLEMENTED", observed.GetProperty("unknown_service").GetString());
        // Each listener serves only its own service, though the host runs both.
        Assert.Equal("UNIMPLEMENTED", observed.GetProperty("validation_on_query_listener").GetString());
        Assert.Equal("UNIMPLEMENTED", observed.GetProperty("query_on_validation_listener").GetString());
        // Control: the same raw call on the right listener reaches the service (an empty GetSchema lacks its name).
        Assert.Equal("INVALID_ARGUMENT", observed.GetProperty("validation_on_validation_listener").GetString());
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task HealthWatch_300MsDeadline_DeadlineExceeded(string peer)
    {
        var observed = await fixture.RunAsync(peer, "deadline");

        Assert.Equal("DEADLINE_EXCEEDED", observed.GetProperty("status").GetString());
        var elapsed = observed.GetProperty("elapsed_ms").GetInt64();
        // Not before the deadline (a little timer slack allowed), and not at the peer's 30 s call limit.
        Assert.InRange(elapsed, 250, 20_000);
        Assert.InRange(observed.GetProperty("messages").GetInt32(), 0, 1);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task ValidateDocument_GzipCompressedRequest_CorrectAnswer(string peer)
    {
        using var serverLog = new ServerLogRecorder();

        var observed = await fixture.RunAsync(peer, "gzip");

        // The server did receive a compressed message, so the answer below came through gzip.
        Assert.Contains(serverLog.Events, e => e.EventName == "DecompressingMessage" && e.Message.Contains("gzip", StringComparison.Ordinal));

        Assert.Equal("OK", observed.GetProperty("status").GetString());
        // 20,001 items, only the last one above the maximum: the whole document arrived intact.
        Assert.True(observed.GetProperty("request_bytes").GetInt32() > 40_000);
        Assert.False(observed.GetProperty("valid").GetBoolean());
        var error = Assert.Single(observed.GetProperty("errors").EnumerateArray());
        Assert.Equal("/items/20000", error.GetProperty("instance_location").GetString());
        Assert.Equal("maximum", error.GetProperty("keyword").GetString());
        Assert.Equal("SERVING", observed.GetProperty("health_check").GetString());
    }

    private ValidationService.ValidationServiceClient ValidationClient => new(Host.Channel("Validation"));

    private QueryService.QueryServiceClient QueryClient => new(Host.Channel("Query"));

    private static DateTime Deadline() => DateTime.UtcNow.AddSeconds(30);

    /// <summary>The google.rpc.Status a peer received in grpc-status-details-bin (it reports the raw bytes).</summary>
    private static Status DetailsOf(JsonElement call)
    {
        var raw = call.GetProperty("details_bin");
        Assert.True(raw.ValueKind == JsonValueKind.String, "The peer received no grpc-status-details-bin trailer.");
        return Status.Parser.ParseFrom(Convert.FromBase64String(raw.GetString()!));
    }

    /// <summary>A (region, n, total) record as a peer printed it: each field {member: value}, longs as text, the NUMERIC total as exact text.</summary>
    private static (string Region, long Count, string Total) PeerRow(JsonElement record)
    {
        var fields = record.EnumerateArray().ToList();
        Assert.Equal(3, fields.Count);
        return (fields[0].GetProperty("string_value").GetString()!,
            long.Parse(fields[1].GetProperty("long_value").GetString()!, CultureInfo.InvariantCulture),
            fields[2].GetProperty("string_value").GetString()!);
    }
}
