using System.Net;
using Grpc.Core;
using Sluice.Gateway.V1;

namespace Sluice.Gateway.Tests;

/// <summary>
/// The gateway's state on each store (SQLite and PostgreSQL), through the admin service and the
/// REST listener: what is stored survives a restart, a rejected change stores nothing, and
/// gateways sharing one PostgreSQL database share keys, plans and usage.
/// </summary>
public sealed class StoreTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("Postgres")]
    public async Task Restart_KeepsApisStagesKeysPlansAndUsage(string kind)
    {
        await using var store = await GatewayStores.CreateAsync(kind);
        var root = Path.Combine(Path.GetTempPath(), "sluice-gateway-tests", Guid.NewGuid().ToString("N"));
        string api, planId, keyId, key;
        await using (var first = await GatewayUnderTest.StartAsync(settings: store.Settings, root: root))
        {
            api = await first.DeployAsync(Documents.Metered, variables: new Dictionary<string, string> { ["color"] = "teal" });
            (planId, keyId, key) = await first.KeyInPlanAsync(api, throttle: new ThrottleSettings { RateLimit = 100, BurstLimit = 50 },
                quota: new QuotaSettings { Limit = 5, Period = QuotaPeriod.Day });
            for (var i = 0; i < 3; i++)
            {
                using var response = await first.SendAsync(HttpMethod.Get, $"/{api}/test/items", key);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        await using var second = await GatewayUnderTest.StartAsync(settings: store.Settings, root: root);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await second.SendAsync(HttpMethod.Get, $"/{api}/test/items", key);
            statuses.Add(response.StatusCode);
        }
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var usage = await second.Admin.GetUsageAsync(new GetUsageRequest { UsagePlanId = planId, StartDate = today, EndDate = today }, deadline: GatewayUnderTest.Deadline);
        var stages = await second.Admin.ListStagesAsync(new ListStagesRequest { ApiId = api }, deadline: GatewayUnderTest.Deadline);
        var plans = await second.Admin.ListUsagePlansAsync(new ListUsagePlansRequest(), deadline: GatewayUnderTest.Deadline);
        var keys = await second.Admin.ListApiKeysAsync(new ListApiKeysRequest(), deadline: GatewayUnderTest.Deadline);

        // The quota of 5 counts the 3 requests made before the restart: 2 more pass, the third is refused.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(5, Assert.Single(Assert.Single(usage.Items, i => i.KeyId == keyId).Days).Used);
        Assert.Equal("teal", Assert.Single(stages.Stages).Variables["color"]);
        var plan = Assert.Single(plans.Plans);
        Assert.Equal([keyId], plan.KeyIds);
        Assert.Equal(100, plan.Throttle.RateLimit);
        Assert.Equal(keyId, Assert.Single(keys.Keys).Id);
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("Postgres")]
    public async Task RejectedChanges_StoreNothing(string kind)
    {
        await using var store = await GatewayStores.CreateAsync(kind);
        await using var gateway = await GatewayUnderTest.StartAsync(settings: store.Settings);
        var api = await gateway.DeployAsync(Documents.Metered);
        var (planId, keyId, _) = await gateway.KeyInPlanAsync(api);

        var duplicateKey = await Assert.ThrowsAsync<RpcException>(async () =>
            await gateway.Admin.CreateUsagePlanKeyAsync(new CreateUsagePlanKeyRequest { UsagePlanId = planId, KeyId = keyId }, deadline: GatewayUnderTest.Deadline));
        var unknownStage = await Assert.ThrowsAsync<RpcException>(async () => await gateway.Admin.CreateUsagePlanAsync(
            new CreateUsagePlanRequest { Name = "other", ApiStages = { new ApiStage { ApiId = api, Stage = "nope" } } }, deadline: GatewayUnderTest.Deadline));
        var badDocument = await Assert.ThrowsAsync<RpcException>(async () =>
            await gateway.Admin.PutApiAsync(new PutApiRequest { ApiId = api, Document = "{\"openapi\": \"3.0.1\"}" }, deadline: GatewayUnderTest.Deadline));

        var plans = await gateway.Admin.ListUsagePlansAsync(new ListUsagePlansRequest(), deadline: GatewayUnderTest.Deadline);
        var apis = await gateway.Admin.ListApisAsync(new ListApisRequest(), deadline: GatewayUnderTest.Deadline);
        Assert.Equal(StatusCode.AlreadyExists, duplicateKey.StatusCode);
        Assert.Equal(StatusCode.NotFound, unknownStage.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, badDocument.StatusCode);
        Assert.Equal([keyId], Assert.Single(plans.Plans).KeyIds);
        Assert.Equal("Metered", Assert.Single(apis.Apis).Name);
    }

    [Fact]
    public async Task TwoGateways_OnOneDatabase_SeeEachOthersKeysAndPlans()
    {
        await using var store = await GatewayStores.CreateAsync("Postgres");
        await using var a = await GatewayUnderTest.StartAsync(settings: store.Settings);
        await using var b = await GatewayUnderTest.StartAsync(settings: store.Settings);

        var api = await a.DeployAsync(Documents.Metered);
        var (_, keyId, key) = await a.KeyInPlanAsync(api);
        var admittedByB = await WaitForStatusAsync(b, $"/{api}/test/items", key, HttpStatusCode.OK);
        await b.Admin.UpdateApiKeyAsync(new UpdateApiKeyRequest { Id = keyId, Enabled = false }, deadline: GatewayUnderTest.Deadline);
        var refusedByA = await WaitForStatusAsync(a, $"/{api}/test/items", key, HttpStatusCode.Forbidden);

        Assert.True(admittedByB, "gateway B never admitted the key gateway A created");
        Assert.True(refusedByA, "gateway A kept admitting the key gateway B disabled");
    }

    [Fact]
    public async Task TwoGateways_OnOneDatabase_CountUsageTogether()
    {
        await using var store = await GatewayStores.CreateAsync("Postgres");
        await using var a = await GatewayUnderTest.StartAsync(settings: store.Settings);
        string planId, keyId;
        await using (var b = await GatewayUnderTest.StartAsync(settings: store.Settings))
        {
            var api = await a.DeployAsync(Documents.Metered);
            string key;
            (planId, keyId, key) = await a.KeyInPlanAsync(api);
            Assert.True(await WaitForStatusAsync(b, $"/{api}/test/items", key, HttpStatusCode.OK), "gateway B never admitted the key");

            // Both gateways at once, each flushing its counts every second while the other does.
            async Task<int> SendAsync(GatewayUnderTest gateway)
            {
                var admitted = 0;
                for (var i = 0; i < 150; i++)
                {
                    using var response = await gateway.SendAsync(HttpMethod.Get, $"/{api}/test/items", key);
                    admitted += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
                }
                return admitted;
            }
            var admitted = await Task.WhenAll(SendAsync(a), SendAsync(b), SendAsync(a), SendAsync(b));
            Assert.Equal(600, admitted.Sum());
        }

        // B flushed its counts when it stopped; A flushes its own before reading.
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var usage = await a.Admin.GetUsageAsync(new GetUsageRequest { UsagePlanId = planId, StartDate = today, EndDate = today }, deadline: GatewayUnderTest.Deadline);
        // The one request B made while waiting for the key counts too.
        Assert.Equal(601, Assert.Single(Assert.Single(usage.Items, i => i.KeyId == keyId).Days).Used);
    }

    [Fact]
    public async Task TwoGateways_OnOneDatabase_ShareAQuota()
    {
        await using var store = await GatewayStores.CreateAsync("Postgres");
        await using var a = await GatewayUnderTest.StartAsync(settings: store.Settings);
        await using var b = await GatewayUnderTest.StartAsync(settings: store.Settings);
        var api = await a.DeployAsync(Documents.Metered);
        var (planId, _, key) = await a.KeyInPlanAsync(api, quota: new QuotaSettings { Limit = 20, Period = QuotaPeriod.Day });
        Assert.True(await WaitForStatusAsync(b, $"/{api}/test/items", key, HttpStatusCode.OK), "gateway B never admitted the key");
        using (var second = await b.SendAsync(HttpMethod.Get, $"/{api}/test/items", key))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }
        // B's two requests reach the store within its one-second flush.
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var deadline = DateTime.UtcNow + Patience;
        while ((await a.Admin.GetUsageAsync(new GetUsageRequest { UsagePlanId = planId, StartDate = today, EndDate = today }, deadline: GatewayUnderTest.Deadline))
            .Items.Sum(i => i.Days.Sum(d => d.Used)) < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        // A starts its period from the stored count: 18 left.
        var admittedByA = 0;
        while (true)
        {
            using var response = await a.SendAsync(HttpMethod.Get, $"/{api}/test/items", key);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                await PipelineTests.AssertError(response, 429, "Limit Exceeded", "LimitExceededException");
                break;
            }
            admittedByA++;
        }
        // GetUsage writes A's counts; B reseeds from the store within its refresh interval (200 ms),
        // so it refuses long before admitting the 18 its own count would still allow.
        await a.Admin.GetUsageAsync(new GetUsageRequest { UsagePlanId = planId, StartDate = today, EndDate = today }, deadline: GatewayUnderTest.Deadline);
        var admittedByBAfter = 0;
        while (admittedByBAfter < 18)
        {
            using var response = await b.SendAsync(HttpMethod.Get, $"/{api}/test/items", key);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                break;
            }
            admittedByBAfter++;
            await Task.Delay(250);
        }

        Assert.Equal(18, admittedByA);
        Assert.True(admittedByBAfter < 18, "gateway B kept its own count and never saw the quota A spent");
    }

    [Fact]
    public async Task TwoGateways_StartingTogether_MigrateTheSchemaOnce()
    {
        await using var store = await GatewayStores.CreateAsync("Postgres");

        var started = await Task.WhenAll(GatewayUnderTest.StartAsync(settings: store.Settings), GatewayUnderTest.StartAsync(settings: store.Settings));
        await using var a = started[0];
        await using var b = started[1];
        var versions = await store.QueryAsync("SELECT version FROM sluice_gateway.schema_version ORDER BY version");

        Assert.Equal(["1", "2"], versions);
        var api = await a.DeployAsync(Documents.Metered);
        Assert.Contains(api, (await b.Admin.ListApisAsync(new ListApisRequest(), deadline: GatewayUnderTest.Deadline)).Apis.Select(x => x.Id));
    }

    /// <summary>Calls until the gateway answers <paramref name="expected"/> (another gateway's change is seen after a refresh); false if it never does.</summary>
    private static async Task<bool> WaitForStatusAsync(GatewayUnderTest gateway, string path, string key, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await gateway.SendAsync(HttpMethod.Get, path, key);
            if (response.StatusCode == expected)
            {
                return true;
            }
            await Task.Delay(100);
        }
        return false;
    }
}
