using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Gateway.GrpcProxy;
using Sluice.Gateway.V1;

namespace Sluice.Gateway.Tests;

/// <summary>
/// The gateway's gRPC proxy listener in the all-in-one host, called by a real Python grpcio client
/// (Peers/grpc_proxy_client.py) with its key in the x-api-key metadata: calls reach the real query
/// service, refusals carry their status and message, plans throttle and meter proxied calls.
/// </summary>
public sealed class GrpcProxyTests : IAsyncLifetime
{
    private const string SampleKey = "sample-key-for-the-grpc-proxy-tests-01";
    private HostUnderTest _host = null!;
    private GatewayAdminService.GatewayAdminServiceClient _admin = null!;
    private string _target = null!;

    public async Task InitializeAsync()
    {
        _host = await HostUnderTest.StartAsync(["--Sluice:Gateway:Sample:ApiKey=" + SampleKey]);
        _admin = new GatewayAdminService.GatewayAdminServiceClient(_host.ChannelTo("Gateway"));
        _target = _host.App.Services.GetRequiredService<GatewayGrpcProxyEndpoint>().EndPoint!.ToString();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Proxy_PythonClientWithKey_RunsAStatementAndStreamsEveryRow()
    {
        var observed = await RunAsync("query", "--key", SampleKey);

        var execute = observed.GetProperty("execute");
        Assert.True(execute.GetProperty("status").GetString() == "OK", execute.ToString());
        var describe = observed.GetProperty("describe");
        Assert.Equal("OK", describe.GetProperty("status").GetString());
        Assert.Equal("STATEMENT_STATUS_FINISHED", describe.GetProperty("statuses").EnumerateArray().Last().GetString());
        var stream = observed.GetProperty("stream");
        Assert.True(stream.GetProperty("status").GetString() == "OK", stream.ToString());
        var amounts = stream.GetProperty("amounts").EnumerateArray().Select(a => a.GetDouble()).ToList();
        Assert.NotEmpty(amounts);
        Assert.All(amounts, a => Assert.True(a > 1000));
        Assert.Equal(describe.GetProperty("result_rows").GetInt64(), amounts.Count);
        Assert.Equal(stream.GetProperty("total_num_rows").GetInt64(), amounts.Count);
        Assert.True(stream.GetProperty("messages").GetInt32() >= 2, "a metadata message, then batches");
    }

    [Fact]
    public async Task Proxy_Refusals_CarryTheirStatusAndMessage()
    {
        var disabled = await _admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "disabled", Enabled = false }, deadline: HostUnderTest.Deadline);
        await _admin.CreateUsagePlanKeyAsync(new CreateUsagePlanKeyRequest { UsagePlanId = await SamplePlanIdAsync(), KeyId = disabled.Key.Id }, deadline: HostUnderTest.Deadline);
        var unplanned = await _admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "unplanned", Enabled = true }, deadline: HostUnderTest.Deadline);

        var observed = await RunAsync("refusals", "--key", SampleKey, "--disabled-key", disabled.Value, "--unplanned-key", unplanned.Value);

        AssertStatus(observed, "no_key", "UNAUTHENTICATED", "Missing API key");
        AssertStatus(observed, "unknown_key", "PERMISSION_DENIED", "not valid");
        AssertStatus(observed, "disabled_key", "PERMISSION_DENIED", "disabled");
        AssertStatus(observed, "unplanned_key", "PERMISSION_DENIED", "no usage plan");
        AssertStatus(observed, "not_allowed", "PERMISSION_DENIED", "/sluice.ingestion.v1.IngestionService/ListSources is not allowed");
        AssertStatus(observed, "unknown_service", "UNIMPLEMENTED", "no service 'sluice.nothing.v1.Nothing'");
        AssertStatus(observed, "admin_service", "UNIMPLEMENTED", "no service 'sluice.gateway.v1.GatewayAdminService'");
        // Admitted: the query service itself answers (an unknown statement id).
        var allowed = observed.GetProperty("allowed").GetProperty("status").GetString();
        Assert.True(allowed is "NOT_FOUND" or "INVALID_ARGUMENT", observed.GetProperty("allowed").ToString());
    }

    [Fact]
    public async Task Proxy_PlanThrottle_AnswersResourceExhaustedPastTheBurst()
    {
        // Refills once in 100 s: the third call in a row finds the bucket empty, however slow the machine.
        var (_, keyValue) = await KeyInPlanAsync(new ThrottleSettings { RateLimit = 0.01, BurstLimit = 2 }, null);

        var observed = await RunAsync("throttle", "--key", keyValue, "--count", "4");

        var statuses = observed.GetProperty("statuses").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.All(statuses.Take(2), s => Assert.NotEqual("RESOURCE_EXHAUSTED", s));
        Assert.Equal(["RESOURCE_EXHAUSTED", "RESOURCE_EXHAUSTED"], statuses.Skip(2));
        Assert.All(observed.GetProperty("exhausted").EnumerateArray(), d => Assert.Contains("Too Many Requests: the usage plan's throttle", d.GetString()));
    }

    [Fact]
    public async Task Proxy_Quota_AnswersLimitExceededAndCountsInTheUsageReport()
    {
        var (planId, keyValue) = await KeyInPlanAsync(null, new QuotaSettings { Limit = 3, Period = QuotaPeriod.Day });

        var observed = await RunAsync("throttle", "--key", keyValue, "--count", "4");
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var usage = await _admin.GetUsageAsync(new GetUsageRequest { UsagePlanId = planId, StartDate = today, EndDate = today }, deadline: HostUnderTest.Deadline);

        var statuses = observed.GetProperty("statuses").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Equal(3, statuses.Count(s => s != "RESOURCE_EXHAUSTED"));
        Assert.Equal("RESOURCE_EXHAUSTED", statuses[^1]);
        Assert.Contains("Limit Exceeded", Assert.Single(observed.GetProperty("exhausted").EnumerateArray()).GetString());
        var day = Assert.Single(Assert.Single(usage.Items).Days);
        Assert.Equal((3L, 0L), (day.Used, day.Remaining));
    }

    private static void AssertStatus(JsonElement observed, string call, string status, string message)
    {
        var result = observed.GetProperty(call);
        Assert.True(result.GetProperty("status").GetString() == status, $"{call}: {result}");
        Assert.Contains(message, result.GetProperty("details").GetString());
    }

    private async Task<string> SamplePlanIdAsync()
    {
        var plans = await _admin.ListUsagePlansAsync(new ListUsagePlansRequest(), deadline: HostUnderTest.Deadline);
        return plans.Plans.Single(p => p.ApiStages.Any(s => s.ApiId == "sample")).Id;
    }

    /// <summary>A new plan on the sample API's stage with a new key in it.</summary>
    private async Task<(string PlanId, string Value)> KeyInPlanAsync(ThrottleSettings? throttle, QuotaSettings? quota)
    {
        var plan = await _admin.CreateUsagePlanAsync(new CreateUsagePlanRequest
        {
            Name = "proxy",
            Throttle = throttle,
            Quota = quota,
            ApiStages = { new ApiStage { ApiId = "sample", Stage = "dev" } },
        }, deadline: HostUnderTest.Deadline);
        var key = await _admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "proxy caller", Enabled = true }, deadline: HostUnderTest.Deadline);
        await _admin.CreateUsagePlanKeyAsync(new CreateUsagePlanKeyRequest { UsagePlanId = plan.Plan.Id, KeyId = key.Key.Id }, deadline: HostUnderTest.Deadline);
        return (plan.Plan.Id, key.Value);
    }

    private Task<JsonElement> RunAsync(string scenario, params string[] arguments) => PeerProcess.RunForJsonAsync(
        "/usr/bin/python3",
        [Path.Combine(PeerProcess.RepoRoot, "tests", "Sluice.Gateway.Tests", "Peers", "grpc_proxy_client.py"), "--target", _target, "--scenario", scenario, .. arguments],
        $"The grpcio proxy client, scenario {scenario},",
        TimeSpan.FromSeconds(120));
}
