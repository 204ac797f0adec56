using System.Net;
using Grpc.Core;
using Grpc.Health.V1;

namespace Sluice.Host.Tests;

/// <summary>
/// The admin listener (Sluice:Admin:Port): plain HTTP/1.1 for scrapers and probes, serving
/// /metrics, /healthz and /readyz, and nothing of it on the gRPC listeners.
/// </summary>
public sealed class AdminListenerTests(SharedHost fixture) : IClassFixture<SharedHost>
{
    private static readonly string[] AdminPaths = ["/metrics", "/healthz", "/readyz"];

    private HostUnderTest Host => fixture.Host;

    [Fact]
    public async Task Metrics_AfterAGrpcCall_PrometheusTextCountsTheGrpcRequest()
    {
        const string route = "/grpc.health.v1.Health/Check";
        var health = new Health.HealthClient(Host.ChannelTo("Query"));
        await health.CheckAsync(new HealthCheckRequest(), deadline: HostUnderTest.Deadline);

        var metrics = await Host.WaitForFinishedGrpcRequestsAsync(route, 1);
        using var response = await Host.GetAdminAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"# TYPE {PrometheusText.RequestDuration} histogram", metrics, StringComparison.Ordinal);
        // The call, as the server saw it: a gRPC request (POST over HTTP/2) answered 200.
        Assert.Contains(PrometheusText.GrpcRequestCounts(metrics, route), sample =>
            sample.Labels.GetValueOrDefault("http_request_method") == "POST" && sample.Labels.GetValueOrDefault("http_response_status_code") == "200" && sample.Value >= 1);
    }

    [Fact]
    public async Task Healthz_Get_OkWhileTheProcessAnswers()
    {
        using var response = await Host.GetAdminAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alive", (await response.Content.ReadAsStringAsync()).Trim());
    }

    [Fact]
    public async Task Readyz_EveryDependencyHealthy_OkListingEachCheck()
    {
        using var response = await Host.GetAdminAsync("/readyz");
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/readyz answered {(int)response.StatusCode}:\n{body}");
        var checks = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(": ", 2)).ToDictionary(p => p[0], p => p[1]);
        foreach (var check in new[] { "bus", "warehouse", "object-store", "backends" })
        {
            Assert.True(checks.TryGetValue(check, out var status), $"/readyz does not list '{check}':\n{body}");
            Assert.StartsWith("Healthy", status, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AdminPaths_OnTheGrpcListeners_NotFound()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var answers = new List<string>();
        foreach (var (service, endpoint) in Host.Endpoints)
        {
            foreach (var path in AdminPaths)
            {
                // HTTP/2 with prior knowledge, as the gRPC listeners speak nothing else.
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{endpoint}{path}")
                {
                    Version = HttpVersion.Version20,
                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                };
                using var response = await http.SendAsync(request);
                answers.Add($"{service} {path}: {(int)response.StatusCode}");
            }
        }

        Assert.All(answers, answer => Assert.EndsWith(": 404", answer, StringComparison.Ordinal));
        Assert.Equal(Host.Endpoints.Count * AdminPaths.Length, answers.Count);
    }

    [Fact]
    public async Task GrpcCall_OnTheAdminPort_RefusedAsHttp11Only()
    {
        var health = new Health.HealthClient(Host.ChannelTo(Host.Admin));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await health.CheckAsync(new HealthCheckRequest(), deadline: HostUnderTest.Deadline));

        // The admin listener speaks HTTP/1.1 only: it turns away the HTTP/2 a gRPC call needs,
        // usually with HTTP_1_1_REQUIRED; on a loaded machine the client may instead see the
        // connection close before that frame is read. Either way the HTTP/2 request never got a
        // response: the call fails while starting, before any gRPC status came from the server.
        Assert.True(error.StatusCode is StatusCode.Internal or StatusCode.Unavailable, $"{error.StatusCode}: {error.Status.Detail}");
        Assert.True(
            error.Status.Detail.Contains("HTTP_1_1_REQUIRED", StringComparison.Ordinal) || error.Status.Detail.StartsWith("Error starting gRPC call", StringComparison.Ordinal)
            || error.Status.DebugException is HttpRequestException or IOException,
            $"{error.StatusCode}: {error.Status.Detail}");
    }

    [Fact]
    public async Task GrpcRequestOverHttp11_OnTheAdminPort_NotAnswered()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        // A gRPC request as a proxy that only speaks HTTP/1.1 would send it: an empty HealthCheckRequest.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{Host.Admin}/grpc.health.v1.Health/Check") { Content = new ByteArrayContent([0, 0, 0, 0, 0]) };
        request.Content.Headers.ContentType = new("application/grpc");

        using var response = await http.SendAsync(request);

        Assert.False(response.IsSuccessStatusCode, $"The admin port answered a gRPC request with {(int)response.StatusCode}.");
    }
}
