using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using Sluice.Query.V1;

namespace Sluice.Peers.Tests;

/// <summary>The all-in-one host configured to compress its responses (Sluice:Grpc:ResponseCompression=gzip).</summary>
public sealed class GzipResponsesHostFixture : SluiceHostFixture
{
    protected override IReadOnlyDictionary<string, string>? Settings { get; } =
        new Dictionary<string, string>
        {
            ["Sluice:Grpc:ResponseCompression"] = "gzip",
            // Health checks run only at start and on Check calls, so that no call of the host's own
            // (the gateway asks its backends) is on the wire while a test watches the server's log.
            ["Sluice:Health:Period"] = "01:00:00",
        };
}

/// <summary>
/// With response compression on, the peers (which accept gzip, as grpcio and grpc-js do by
/// default) must read gzip-compressed responses, including the result batches the query service
/// sends pre-serialized.
/// </summary>
public sealed class GzipResponsesTests(GzipResponsesHostFixture fixture) : IClassFixture<GzipResponsesHostFixture>
{
    public static TheoryData<string> Languages => Peers.Languages;

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task StreamStatementResult_ServerCompressesResponses_PeerReadsWhatTheSluiceClientReads(string peer)
    {
        using var serverLog = new ServerLogRecorder();

        var observed = await fixture.RunAsync(peer, "query");

        // The result batches, sent as stored (pre-serialized), went out gzip-compressed.
        Assert.Contains("Sluice.ServiceDefaults.SerializedMessage", CompressedResponses(serverLog));
        Assert.Contains("Sluice.Query.V1.WatchStatementResponse", CompressedResponses(serverLog));
        var execute = observed.GetProperty("execute");
        Assert.Equal("OK", execute.GetProperty("status").GetString());
        Assert.Equal("STATEMENT_STATUS_FINISHED", observed.GetProperty("watch").GetProperty("statuses").EnumerateArray().Last().GetString());
        var stream = observed.GetProperty("stream");
        Assert.Equal("OK", stream.GetProperty("status").GetString());
        var rows = stream.GetProperty("records").EnumerateArray()
            .Select(record => string.Join(" | ", record.EnumerateArray().Select(field => field.EnumerateObject().Single()).Select(member => $"{member.Name}={member.Value.GetRawText()}")))
            .ToList();

        var reference = new List<string>();
        var client = new QueryService.QueryServiceClient(fixture.Host.Channel("Query"));
        using (var call = client.StreamStatementResult(new StreamStatementResultRequest { Id = execute.GetProperty("id").GetString() }, deadline: DateTime.UtcNow.AddSeconds(30)))
        {
            await foreach (var message in call.ResponseStream.ReadAllAsync())
            {
                if (message.PayloadCase == StreamStatementResultResponse.PayloadOneofCase.Batch)
                {
                    reference.AddRange(message.Batch.Records.Select(record => string.Join(" | ", record.Fields.Select(FieldText))));
                }
            }
        }
        Assert.Equal(4, reference.Count);
        Assert.Equal(reference, rows);
        Assert.Equal("NOT_FOUND", observed.GetProperty("unknown_describe").GetString());
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task ValidateDocument_ServerCompressesResponses_PeerReadsResultsAndErrorDetails(string peer)
    {
        using var serverLog = new ServerLogRecorder();

        var observed = await fixture.RunAsync(peer, "validation");

        Assert.Contains("Sluice.Validation.V1.ValidateDocumentResponse", CompressedResponses(serverLog));
        Assert.True(observed.GetProperty("valid").GetProperty("valid").GetBoolean());
        Assert.Equal(2, observed.GetProperty("invalid").GetProperty("errors").GetArrayLength());
        var badField = observed.GetProperty("bad_field");
        Assert.Equal("INVALID_ARGUMENT", badField.GetProperty("status").GetString());
        var status = Google.Rpc.Status.Parser.ParseFrom(Convert.FromBase64String(badField.GetProperty("details_bin").GetString()!));
        Assert.Equal("document_json", Assert.Single(status.GetDetail<Google.Rpc.BadRequest>()!.FieldViolations).Field);
    }

    /// <summary>
    /// The message types the server logged as serialized and then gzip-compressed (the two events
    /// follow each other for one message). Only the peer calls: the fixture's health period keeps
    /// the host's own calls off the wire meanwhile.
    /// </summary>
    private static List<string> CompressedResponses(ServerLogRecorder log)
    {
        var events = log.Events.ToList();
        var types = new List<string>();
        for (var i = 0; i + 1 < events.Count; i++)
        {
            if (events[i].EventName == "SerializedMessage" && events[i + 1].EventName == "CompressingMessage"
                && events[i + 1].Message.Contains("'gzip'", StringComparison.Ordinal))
            {
                // "Serialized 'Type' to N byte message."
                var message = events[i].Message;
                var start = message.IndexOf('\'', StringComparison.Ordinal) + 1;
                types.Add(message[start..message.IndexOf('\'', start)]);
            }
        }
        return types;
    }

    /// <summary>A field as the peers print it ({member: value}, longs as text), as member=JSON text of the value.</summary>
    private static string FieldText(Field field) => field.ValueCase switch
    {
        Field.ValueOneofCase.StringValue => $"string_value={JsonSerializer.Serialize(field.StringValue)}",
        Field.ValueOneofCase.LongValue => $"long_value=\"{field.LongValue.ToString(CultureInfo.InvariantCulture)}\"",
        Field.ValueOneofCase.DoubleValue => $"double_value={field.DoubleValue.ToString("R", CultureInfo.InvariantCulture)}",
        _ => throw new ArgumentOutOfRangeException(nameof(field), field.ValueCase, "Not in the peers' query."),
    };
}
