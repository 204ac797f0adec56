using System.Text.Json;

namespace Sluice.Grpc.Tests.Interop;

/// <summary>
/// Python grpcio and grpc-js clients call Sluice's server. The peers only report what they
/// observed; the expectations are here.
/// </summary>
public sealed class PeerClientsCallSluiceServerTests(SluiceServerFixture server) : IClassFixture<SluiceServerFixture>
{
    public static TheoryData<string> AllPeers => new() { Peers.Python, Peers.Node };

    private Task<JsonElement> Run(string peer, string scenario) => Peers.RunClientAsync(peer, server.Port, scenario);

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task UnaryEcho_FromPeer_EchoesMessageAndPayload(string peer)
    {
        var observed = await Run(peer, "unary");

        Assert.Equal("OK", observed.GetProperty("status").GetString());
        Assert.Equal("héllo wörld", observed.GetProperty("message").GetString());
        Assert.Equal(Convert.ToBase64String(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray()), observed.GetProperty("payload_b64").GetString());
        Assert.Equal(256, observed.GetProperty("received_size").GetInt32());
    }

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task ServerStream_FromPeer_SendsEveryMessageInOrder(string peer)
    {
        var observed = await Run(peer, "server_stream");

        Assert.Equal("OK", observed.GetProperty("status").GetString());
        Assert.Equal(["m-0", "m-1", "m-2", "m-3", "m-4"], Strings(observed.GetProperty("messages")));
        Assert.Equal([0, 1, 2, 3, 4], Ints(observed.GetProperty("sequences")));
        Assert.Equal([10, 10, 10, 10, 10], Ints(observed.GetProperty("payload_sizes")));
    }

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task ClientStream_FromPeer_ReadsEveryRequest(string peer)
    {
        var observed = await Run(peer, "client_stream");

        Assert.Equal("OK", observed.GetProperty("status").GetString());
        Assert.Equal("a,b,c", observed.GetProperty("message").GetString());
        Assert.Equal(3, observed.GetProperty("sequence").GetInt32());
    }

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task BidiEcho_FromPeer_AnswersEachMessageAsItArrives(string peer)
    {
        var observed = await Run(peer, "bidi");

        Assert.Equal("OK", observed.GetProperty("status").GetString());
        Assert.Equal(["one", "two", "three"], Strings(observed.GetProperty("messages")));
        Assert.Equal([0, 1, 2], Ints(observed.GetProperty("sequences")));
    }

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task Fail_NonAsciiMessage_ArrivesIntact(string peer)
    {
        var observed = await Run(peer, "status_non_ascii");

        Assert.Equal("FAILED_PRECONDITION", observed.GetProperty("status").GetString());
        Assert.Equal(9, observed.GetProperty("code").GetInt32());
        Assert.Equal("Ünïcödé ✓ 数据 100% done\r\nline2", observed.GetProperty("details").GetString());
    }

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task EchoMetadata_TextAndBinary_EchoedAsHeadersAndTrailers(string peer)
    {
        var observed = await Run(peer, "metadata");
        var binary = Convert.ToBase64String(new byte[] { 0, 1, 2, 254, 255 });

        Assert.Equal("OK", observed.GetProperty("status").GetString());
        var headers = observed.GetProperty("headers");
        Assert.Equal("hello world", headers.GetProperty("x-echo-text").GetString());
        Assert.Equal(binary, headers.GetProperty("x-echo-data-bin").GetString());
        var trailers = observed.GetProperty("trailers");
        Assert.Equal("hello world", trailers.GetProperty("trailer-x-echo-text").GetString());
        Assert.Equal(binary, trailers.GetProperty("trailer-x-echo-data-bin").GetString());
    }

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task Sleep_DeadlineExceeded_HandlerSeesCancellation(string peer)
    {
        var observed = await Run(peer, "deadline");

        Assert.Equal("DEADLINE_EXCEEDED", observed.GetProperty("status").GetString());
        AssertProbeCancelled(observed);
    }

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task Sleep_ClientCancels_HandlerSeesCancellation(string peer)
    {
        var observed = await Run(peer, "cancel");

        Assert.Equal("CANCELLED", observed.GetProperty("status").GetString());
        AssertProbeCancelled(observed);
    }

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task UnaryEcho_ThreeMegabytes_Accepted(string peer)
    {
        var observed = await Run(peer, "large_accepted");

        Assert.Equal("OK", observed.GetProperty("status").GetString());
        Assert.Equal(3 * 1024 * 1024, observed.GetProperty("received_size").GetInt32());
        Assert.Equal(3 * 1024 * 1024, observed.GetProperty("payload_len").GetInt32());
    }

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task UnaryEcho_FiveMegabytes_ResourceExhausted(string peer)
    {
        var observed = await Run(peer, "large_rejected");

        Assert.Equal("RESOURCE_EXHAUSTED", observed.GetProperty("status").GetString());
        Assert.Contains("maximum", observed.GetProperty("details").GetString());
    }

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task UnaryEcho_Gzip_BothDirectionsCompressed(string peer)
    {
        var observed = await Run(peer, "gzip");

        Assert.Equal("OK", observed.GetProperty("status").GetString());
        Assert.True(observed.GetProperty("payload_ok").GetBoolean());
        Assert.Equal(100 * 1024, observed.GetProperty("received_size").GetInt32());
        // Sluice's server saw the request arrive gzip-compressed.
        Assert.True(observed.GetProperty("request_compressed").GetBoolean());
    }

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task UnknownMethodAndService_Unimplemented(string peer)
    {
        var observed = await Run(peer, "unknown_method");

        Assert.Equal("UNIMPLEMENTED", observed.GetProperty("method_status").GetString());
        Assert.Equal("UNIMPLEMENTED", observed.GetProperty("service_status").GetString());
    }

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task HealthCheck_ServingAndUnknown(string peer)
    {
        var observed = await Run(peer, "health");

        Assert.Equal("OK", observed.GetProperty("status").GetString());
        Assert.Equal("SERVING", observed.GetProperty("serving_status").GetString());
        Assert.Equal("NOT_FOUND", observed.GetProperty("unknown_status").GetString());
    }

    private static void AssertProbeCancelled(JsonElement observed)
    {
        var probe = observed.GetProperty("probe");
        Assert.True(probe.GetProperty("found").GetBoolean(), "the Sleep handler never started");
        Assert.True(probe.GetProperty("finished").GetBoolean(), "the Sleep handler did not finish");
        Assert.True(probe.GetProperty("cancelled").GetBoolean(), "the Sleep handler's token was not cancelled");
    }

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
