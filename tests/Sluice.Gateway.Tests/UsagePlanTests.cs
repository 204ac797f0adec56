using System.Net;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using Sluice.Gateway.V1;

namespace Sluice.Gateway.Tests;

/// <summary>Throttles and quotas through the REST listener, with the gateway's clock injected; quotas, keys and plans on both stores.</summary>
public sealed class UsagePlanTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Throttle_TenSecondsAtThreeTimesTheRate_AdmitsRateTimesTenPlusBurst()
    {
        const double rate = 40;
        const int burst = 25;
        var clock = new FakeTimeProvider(Start);
        await using var gateway = await GatewayUnderTest.StartAsync(clock);
        var api = await gateway.DeployAsync(Documents.Metered);
        var (_, _, key) = await gateway.KeyInPlanAsync(api, throttle: new ThrottleSettings { RateLimit = rate, BurstLimit = burst });

        // 3x the rate for 10 s of the gateway's clock: one request every 1/(3 rate) s.
        var admitted = 0;
        var throttled = 0;
        var step = TimeSpan.FromTicks(TimeSpan.TicksPerSecond / (long)(3 * rate));
        for (var i = 0; i < 3 * rate * 10; i++)
        {
            using var response = await gateway.SendAsync(HttpMethod.Get, $"/{api}/test/items", key);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                admitted++;
            }
            else
            {
                await PipelineTests.AssertError(response, 429, "Too Many Requests", "TooManyRequestsException");
                throttled++;
            }
            clock.Advance(step);
        }

        var expected = (rate * 10) + burst;
        Assert.InRange(admitted, expected * 0.98, expected * 1.02);
        Assert.Equal(3 * rate * 10, admitted + throttled);
    }

    [Fact]
    public async Task Throttle_ConcurrentRequestsWithTheClockStill_AdmitsExactlyTheBurst()
    {
        // Requests racing for the same bucket: each token goes to exactly one of them.
        const int burst = 50;
        var clock = new FakeTimeProvider(Start);
        await using var gateway = await GatewayUnderTest.StartAsync(clock);
        var api = await gateway.DeployAsync(Documents.Metered);
        var (_, _, key) = await gateway.KeyInPlanAsync(api, throttle: new ThrottleSettings { RateLimit = 1, BurstLimit = burst });

        var statuses = await Task.WhenAll(Enumerable.Range(0, 4 * burst).Select(async _ =>
        {
            using var response = await gateway.SendAsync(HttpMethod.Get, $"/{api}/test/items", key);
            return response.StatusCode;
        }));

        Assert.Equal(burst, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(3 * burst, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task Throttle_PerMethodInThePlan_AppliesToThatMethodOnly()
    {
        var clock = new FakeTimeProvider(Start);
        await using var gateway = await GatewayUnderTest.StartAsync(clock);
        var api = await gateway.DeployAsync(Documents.Metered);
        var (_, _, key) = await gateway.KeyInPlanAsync(api, throttle: new ThrottleSettings { RateLimit = 100, BurstLimit = 100 },
            methodThrottles: new Dictionary<string, ThrottleSettings> { ["/items/GET"] = new() { RateLimit = 1, BurstLimit = 2 } });

        var items = new List<HttpStatusCode>();
        var other = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var a = await gateway.SendAsync(HttpMethod.Get, $"/{api}/test/items", key);
            using var b = await gateway.SendAsync(HttpMethod.Get, $"/{api}/test/other", key);
            items.Add(a.StatusCode);
            other.Add(b.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], items);
        Assert.All(other, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Fact]
    public async Task Throttle_StageMethodLimit_AppliesToEveryCaller()
    {
        var clock = new FakeTimeProvider(Start);
        await using var gateway = await GatewayUnderTest.StartAsync(clock);
        var api = await gateway.DeployAsync(Documents.Metered, stageThrottles: new Dictionary<string, ThrottleSettings> { ["/items/GET"] = new() { RateLimit = 1, BurstLimit = 3 } });
        var (_, _, first) = await gateway.KeyInPlanAsync(api);
        var (_, _, second) = await gateway.KeyInPlanAsync(api);

        var statuses = new List<HttpStatusCode>();
        foreach (var key in new[] { first, second, first, second })
        {
            using var response = await gateway.SendAsync(HttpMethod.Get, $"/{api}/test/items", key);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("Postgres")]
    public async Task Quota_LimitPlusOne_GivesExactlyOneLimitExceeded_ThenRollsOverWithTheDay(string store)
    {
        var clock = new FakeTimeProvider(Start);
        await using var stores = await GatewayStores.CreateAsync(store);
        await using var gateway = await GatewayUnderTest.StartAsync(clock, stores.Settings);
        var api = await gateway.DeployAsync(Documents.Metered);
        var (planId, keyId, key) = await gateway.KeyInPlanAsync(api, quota: new QuotaSettings { Limit = 5, Period = QuotaPeriod.Day });

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await gateway.SendAsync(HttpMethod.Get, $"/{api}/test/items", key);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                await PipelineTests.AssertError(response, 429, "Limit Exceeded", "LimitExceededException");
            }
            statuses.Add(response.StatusCode);
        }
        clock.Advance(TimeSpan.FromHours(12));
        using var nextDay = await gateway.SendAsync(HttpMethod.Get, $"/{api}/test/items", key);
        var usage = await gateway.Admin.GetUsageAsync(new GetUsageRequest { UsagePlanId = planId, StartDate = "2026-03-10", EndDate = "2026-03-11" }, deadline: GatewayUnderTest.Deadline);

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.Equal(HttpStatusCode.OK, nextDay.StatusCode);
        var item = Assert.Single(usage.Items);
        Assert.Equal(keyId, item.KeyId);
        Assert.Equal([("2026-03-10", 5L, 0L), ("2026-03-11", 1L, 4L)], item.Days.Select(d => (d.Date, d.Used, d.Remaining)));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("Postgres")]
    public async Task Quota_Offset_TakenFromTheFirstPeriodOnly(string store)
    {
        var clock = new FakeTimeProvider(Start);
        await using var stores = await GatewayStores.CreateAsync(store);
        await using var gateway = await GatewayUnderTest.StartAsync(clock, stores.Settings);
        var api = await gateway.DeployAsync(Documents.Metered);
        var (_, _, key) = await gateway.KeyInPlanAsync(api, quota: new QuotaSettings { Limit = 3, Offset = 2, Period = QuotaPeriod.Week });

        async Task<int> AdmittedOf(int count)
        {
            var admitted = 0;
            for (var i = 0; i < count; i++)
            {
                using var response = await gateway.SendAsync(HttpMethod.Get, $"/{api}/test/items", key);
                admitted += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
            }
            return admitted;
        }

        var firstWeek = await AdmittedOf(3);
        clock.Advance(TimeSpan.FromDays(7));
        var secondWeek = await AdmittedOf(4);

        Assert.Equal(1, firstWeek);
        Assert.Equal(3, secondWeek);
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("Postgres")]
    public async Task Keys_ValueShownOnceAndNeverListed(string store)
    {
        await using var stores = await GatewayStores.CreateAsync(store);
        await using var gateway = await GatewayUnderTest.StartAsync(settings: stores.Settings);

        var created = await gateway.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "k", Enabled = true }, deadline: GatewayUnderTest.Deadline);
        var listed = await gateway.Admin.ListApiKeysAsync(new ListApiKeysRequest(), deadline: GatewayUnderTest.Deadline);

        Assert.True(created.Value.Length >= 20);
        var key = Assert.Single(listed.Keys);
        Assert.Equal(created.Key.Id, key.Id);
        Assert.Equal(created.Value[..4], key.ValuePrefix);
        Assert.DoesNotContain(created.Value, listed.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("has a space in the value here")]
    public async Task Keys_BadValue_IsInvalidArgument(string value)
    {
        await using var gateway = await GatewayUnderTest.StartAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "k", Value = value }, deadline: GatewayUnderTest.Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Empty((await gateway.Admin.ListApiKeysAsync(new ListApiKeysRequest(), deadline: GatewayUnderTest.Deadline)).Keys);
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("Postgres")]
    public async Task Plans_BadSettingsOrUnknownStage_AreRejected(string store)
    {
        await using var stores = await GatewayStores.CreateAsync(store);
        await using var gateway = await GatewayUnderTest.StartAsync(settings: stores.Settings);

        var badRate = await Assert.ThrowsAsync<RpcException>(() => gateway.Admin.CreateUsagePlanAsync(new CreateUsagePlanRequest { Name = "p", Throttle = new ThrottleSettings { RateLimit = 0, BurstLimit = 1 } }, deadline: GatewayUnderTest.Deadline).ResponseAsync);
        var badQuota = await Assert.ThrowsAsync<RpcException>(() => gateway.Admin.CreateUsagePlanAsync(new CreateUsagePlanRequest { Name = "p", Quota = new QuotaSettings { Limit = 5, Offset = 5, Period = QuotaPeriod.Day } }, deadline: GatewayUnderTest.Deadline).ResponseAsync);
        var noStage = await Assert.ThrowsAsync<RpcException>(() => gateway.Admin.CreateUsagePlanAsync(new CreateUsagePlanRequest { Name = "p", ApiStages = { new ApiStage { ApiId = "nope", Stage = "x" } } }, deadline: GatewayUnderTest.Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, badRate.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, badQuota.StatusCode);
        Assert.Equal(StatusCode.NotFound, noStage.StatusCode);
        Assert.Empty((await gateway.Admin.ListUsagePlansAsync(new ListUsagePlansRequest(), deadline: GatewayUnderTest.Deadline)).Plans);
    }
}
