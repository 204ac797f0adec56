using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Gateway.AccessLog;
using Sluice.Gateway.V1;

namespace Sluice.Gateway.Tests;

/// <summary>
/// Access logs as API Gateway's accessLogSettings: a format of $context variables, one line per
/// request of a logged stage, written in the background to a file under the data folder. Driven
/// through the REST listener; the queue's drop-when-full is checked on the class itself.
/// </summary>
public sealed class AccessLogTests
{
    private const string Clf = "$context.requestId $context.identity.sourceIp $context.httpMethod $context.resourcePath $context.status $context.responseLength $context.stage [$context.requestTime]";

    [Fact]
    public async Task AccessLog_ClfFormat_WritesOneLinePerRequestToTheFile()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(settings: ["--Sluice:Gateway:AccessLog:Format=" + Clf, "--Sluice:Gateway:AccessLog:File=logs/access.log"]);
        var api = await gateway.DeployAsync(Documents.Hello());

        using var ok = await gateway.SendAsync(HttpMethod.Get, $"/{api}/test/hello");
        var body = await ok.Content.ReadAsByteArrayAsync();
        using var missing = await gateway.SendAsync(HttpMethod.Get, $"/{api}/test/nowhere");
        var lines = await WaitForLinesAsync(Path.Combine(gateway.Root, "logs", "access.log"), 2);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(2, lines.Count);
        var first = lines[0].Split(' ');
        Assert.Equal(ok.Headers.GetValues("x-amzn-RequestId").Single(), first[0]);
        Assert.Equal(["127.0.0.1", "GET", "/hello", "200", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), "test"], first[1..7]);
        Assert.Matches(@"^\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\]$", string.Join(' ', first[7..]));
        var second = lines[1].Split(' ');
        Assert.Equal(missing.Headers.GetValues("x-amzn-RequestId").Single(), second[0]);
        Assert.Equal(["GET", "-", "403"], second[2..5]);
    }

    [Fact]
    public async Task AccessLog_JsonFormatOfOneStage_EscapesValuesAndLeavesOtherStagesOut()
    {
        var root = Path.Combine(Path.GetTempPath(), "sluice-gateway-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var document = Path.Combine(root, "hello.yaml");
        await File.WriteAllTextAsync(document, Documents.Hello());
        const string Json = """{"requestId":"$context.requestId","agent":"$context.identity.userAgent","status":"$context.status","key":"$context.identity.apiKey"}""";
        await using var gateway = await GatewayUnderTest.StartAsync(root: root, settings:
        [
            "--Sluice:Gateway:Apis:0:Id=hello", "--Sluice:Gateway:Apis:0:File=" + document, "--Sluice:Gateway:Apis:0:Stage=dev",
            "--Sluice:Gateway:AccessLog:Stages:hello/dev=" + Json, "--Sluice:Gateway:AccessLog:File=access.log",
        ]);
        await gateway.Admin.CreateDeploymentAsync(new CreateDeploymentRequest { ApiId = "hello", StageName = "other" }, deadline: GatewayUnderTest.Deadline);
        const string Agent = "agent \"quoted\" \\ tab\there";

        using var other = await gateway.SendAsync(HttpMethod.Get, "/hello/other/hello", headers: new Dictionary<string, string> { ["User-Agent"] = Agent });
        using var logged = await gateway.SendAsync(HttpMethod.Get, "/hello/dev/hello", key: "not-a-key-but-logged", headers: new Dictionary<string, string> { ["User-Agent"] = Agent });
        var lines = await WaitForLinesAsync(Path.Combine(root, "access.log"), 1);

        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        // Lines are written in request order: had the other stage been logged, its line would come first.
        var line = JsonDocument.Parse(Assert.Single(lines)).RootElement;
        Assert.Equal(logged.Headers.GetValues("x-amzn-RequestId").Single(), line.GetProperty("requestId").GetString());
        Assert.Equal(Agent, line.GetProperty("agent").GetString());
        Assert.Equal("200", line.GetProperty("status").GetString());
        Assert.Equal("not-a-key-but-logged", line.GetProperty("key").GetString());
    }

    [Fact]
    public async Task AccessLog_UnknownVariable_StopsTheGatewayWithWhatIsWrong()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => GatewayUnderTest.StartAsync(
            settings: ["--Sluice:Gateway:AccessLog:Format=$context.requestId $context.nope", "--Sluice:Gateway:AccessLog:File=access.log"]));

        Assert.Contains("Sluice:Gateway:AccessLog:Format", error.Message);
        Assert.Contains("$context.nope", error.Message);
    }

    [Fact]
    public async Task UpdateStageAccessLog_Admin_StageGetsItsOwnFileWhileTheConfiguredLogKeepsTheOthers()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(settings: ["--Sluice:Gateway:AccessLog:Format=$context.stage", "--Sluice:Gateway:AccessLog:File=access.log"]);
        var api = await gateway.DeployAsync(Documents.Hello(), stage: "own");
        await gateway.Admin.CreateDeploymentAsync(new CreateDeploymentRequest { ApiId = api, StageName = "shared" }, deadline: GatewayUnderTest.Deadline);

        var updated = await gateway.Admin.UpdateStageAccessLogAsync(new UpdateStageAccessLogRequest
        {
            ApiId = api,
            StageName = "own",
            AccessLog = new AccessLogSettings { Format = "own $context.httpMethod $context.status", DestinationArn = "file:stages/own.log" },
        }, deadline: GatewayUnderTest.Deadline);
        using (await gateway.SendAsync(HttpMethod.Get, $"/{api}/own/hello"))
        using (await gateway.SendAsync(HttpMethod.Get, $"/{api}/shared/hello"))
        {
        }
        var own = await WaitForLinesAsync(Path.Combine(gateway.Root, "stages", "own.log"), 1);
        var shared = await WaitForLinesAsync(Path.Combine(gateway.Root, "access.log"), 1);
        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await gateway.Admin.UpdateStageAccessLogAsync(new UpdateStageAccessLogRequest
        {
            ApiId = api,
            StageName = "own",
            AccessLog = new AccessLogSettings { Format = "$context.stage", DestinationArn = "/var/log/elsewhere.log" },
        }, deadline: GatewayUnderTest.Deadline));
        var cleared = await gateway.Admin.UpdateStageAccessLogAsync(new UpdateStageAccessLogRequest { ApiId = api, StageName = "own" }, deadline: GatewayUnderTest.Deadline);

        Assert.Equal("file:stages/own.log", updated.Stage.AccessLog.DestinationArn);
        Assert.Equal(["own GET 200"], own);
        Assert.Equal(["shared"], shared);
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("'/var/log/elsewhere.log' is not supported", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Null(cleared.Stage.AccessLog);
    }

    [Fact]
    public void Queue_Full_DropsAndCountsWithoutWaiting()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var queue = new AccessLogQueue(2, services.GetRequiredService<IMeterFactory>());

        var added = Enumerable.Range(0, 5).Select(i => queue.TryAdd(new AccessLogLine(null, "line " + i))).ToList();

        Assert.Equal([true, true, false, false, false], added);
        Assert.Equal(3, queue.Dropped);
        Assert.True(queue.Reader.TryRead(out var oldest));
        Assert.Equal("line 0", oldest.Text);
    }

    /// <summary>Waits (bounded) until the file holds at least <paramref name="count"/> lines; returns them all.</summary>
    internal static async Task<List<string>> WaitForLinesAsync(string path, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var lines = new List<string>();
        while (true)
        {
            if (File.Exists(path))
            {
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream);
                var text = await reader.ReadToEndAsync(timeout.Token);
                lines = [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
                if (lines.Count >= count)
                {
                    return lines;
                }
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{path} did not hold {count} lines within 30 s: [{string.Join(" | ", lines)}]");
            }
        }
    }
}
