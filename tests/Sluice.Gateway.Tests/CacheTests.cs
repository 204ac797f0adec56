using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Grpc.Core;
using Sluice.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Sluice.Gateway.V1;

namespace Sluice.Gateway.Tests;

/// <summary>The stage cache, through the REST listener, against a loopback backend that counts its calls.</summary>
public sealed class CacheTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private WebApplication _backend = null!;
    private GatewayUnderTest _gateway = null!;
    private string _backendAddress = "";
    private int _calls;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _backend = builder.Build();
        _backend.Map("/items/{id}", (HttpContext http, string id) =>
            Results.Json(new { id, color = http.Request.Query["color"].ToString(), call = Interlocked.Increment(ref _calls) }));
        await _backend.StartAsync();
        _backendAddress = _backend.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _gateway = await GatewayUnderTest.StartAsync(_clock);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task Http_RepeatedGetIsServedFromCacheUntilTtl_AndKeyParametersSplitIt()
    {
        var api = await DeployAsync(HttpDocument(_backendAddress), Cache(ttlSeconds: 60));

        var first = await GetAsync($"/{api}/live/items/7?color=red&noise=1");
        var second = await GetAsync($"/{api}/live/items/7?color=red&noise=2");
        Assert.Equal(first.Call, second.Call);
        Assert.Equal(1, Volatile.Read(ref _calls));

        // color and the path id are cache keys; noise is not.
        var blue = await GetAsync($"/{api}/live/items/7?color=blue");
        var other = await GetAsync($"/{api}/live/items/8?color=red");
        Assert.Equal("blue", blue.Color);
        Assert.Equal("8", other.Id);
        Assert.Equal(3, Volatile.Read(ref _calls));

        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(first.Call, (await GetAsync($"/{api}/live/items/7?color=red")).Call);
        _clock.Advance(TimeSpan.FromSeconds(2));
        var expired = await GetAsync($"/{api}/live/items/7?color=red");
        Assert.NotEqual(first.Call, expired.Call);
        Assert.Equal(4, Volatile.Read(ref _calls));
    }

    [Fact]
    public async Task Http_PostIsNotCachedByDefault_ButAMethodSettingEnablesIt()
    {
        var api = await DeployAsync(HttpDocument(_backendAddress), Cache(ttlSeconds: 60));
        using (await _gateway.SendAsync(HttpMethod.Post, $"/{api}/live/items/1", body: "{}"))
        using (await _gateway.SendAsync(HttpMethod.Post, $"/{api}/live/items/1", body: "{}"))
        {
            Assert.Equal(2, Volatile.Read(ref _calls));
        }

        var settings = Cache(ttlSeconds: 60);
        settings.MethodSettings["/items/{id}/POST"] = new MethodCacheSettings { CachingEnabled = true, TtlSeconds = 5 };
        settings.MethodSettings["/items/{id}/GET"] = new MethodCacheSettings { CachingEnabled = false };
        var overridden = await DeployAsync(HttpDocument(_backendAddress), settings);
        using (var a = await _gateway.SendAsync(HttpMethod.Post, $"/{overridden}/live/items/1", body: "{}"))
        using (var b = await _gateway.SendAsync(HttpMethod.Post, $"/{overridden}/live/items/1", body: "{}"))
        {
            Assert.Equal(await a.Content.ReadAsStringAsync(), await b.Content.ReadAsStringAsync());
        }
        Assert.Equal(3, Volatile.Read(ref _calls));
        await GetAsync($"/{overridden}/live/items/1");
        await GetAsync($"/{overridden}/live/items/1");
        Assert.Equal(5, Volatile.Read(ref _calls));
    }

    [Fact]
    public async Task Mock_CachedResponseIsReplayed_AndHitsAndMissesAreCounted()
    {
        var api = await DeployAsync(MockDocument, Cache(ttlSeconds: 300));
        var counts = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Sluice" && instrument.Name.StartsWith("sluice.gateway.cache.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "api_id" && (string?)tag.Value == api)
                {
                    lock (counts)
                    {
                        counts[instrument.Name] = counts.GetValueOrDefault(instrument.Name) + value;
                    }
                }
            }
        });
        listener.Start();

        // The mock answers the status its request template asks for; "code" is not a cache key, "kind" is.
        using var first = await _gateway.SendAsync(HttpMethod.Get, $"/{api}/live/status?code=201&kind=a");
        using var replayed = await _gateway.SendAsync(HttpMethod.Get, $"/{api}/live/status?code=202&kind=a");
        using var otherKind = await _gateway.SendAsync(HttpMethod.Get, $"/{api}/live/status?code=203&kind=b");
        Assert.Equal(201, (int)first.StatusCode);
        Assert.Equal(201, (int)replayed.StatusCode);
        Assert.Equal(203, (int)otherKind.StatusCode);
        lock (counts)
        {
            Assert.Equal(1, counts.GetValueOrDefault("sluice.gateway.cache.hits"));
            Assert.Equal(2, counts.GetValueOrDefault("sluice.gateway.cache.misses"));
        }
    }

    [Fact]
    public async Task MaxAgeZero_RefreshesWhenAuthorizationIsNotRequired()
    {
        var api = await DeployAsync(HttpDocument(_backendAddress), Cache(ttlSeconds: 300));
        var first = await GetAsync($"/{api}/live/items/1");
        var refreshed = await GetAsync($"/{api}/live/items/1", maxAgeZero: true);
        var after = await GetAsync($"/{api}/live/items/1");
        Assert.NotEqual(first.Call, refreshed.Call);
        Assert.Equal(refreshed.Call, after.Call);
    }

    [Theory]
    [InlineData(UnauthorizedCacheControlStrategy.FailWith403)]
    [InlineData(UnauthorizedCacheControlStrategy.SucceedWithResponseHeader)]
    [InlineData(UnauthorizedCacheControlStrategy.SucceedWithoutResponseHeader)]
    public async Task MaxAgeZero_WithAuthorizationRequired_OnlyInvalidatorsRefresh(UnauthorizedCacheControlStrategy strategy)
    {
        var invalidator = await _gateway.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "ops", Enabled = true }, deadline: GatewayUnderTest.Deadline);
        var stranger = await _gateway.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "someone", Enabled = true }, deadline: GatewayUnderTest.Deadline);
        var settings = Cache(ttlSeconds: 300);
        settings.RequireAuthorizationForCacheControl = true;
        settings.UnauthorizedStrategy = strategy;
        settings.InvalidatorKeyIds.Add(invalidator.Key.Id);
        var api = await DeployAsync(HttpDocument(_backendAddress), settings);
        var first = await GetAsync($"/{api}/live/items/1");

        foreach (var key in new[] { null, stranger.Value })
        {
            using var response = await Send($"/{api}/live/items/1", key, maxAgeZero: true);
            var text = await response.Content.ReadAsStringAsync();
            if (strategy == UnauthorizedCacheControlStrategy.FailWith403)
            {
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
                Assert.Contains("execute-api:InvalidateCache", text, StringComparison.Ordinal);
                continue;
            }
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(first.Call, JsonSerializer.Deserialize<Item>(text, Json)!.Call);
            Assert.Equal(strategy == UnauthorizedCacheControlStrategy.SucceedWithResponseHeader, response.Headers.Contains("Warning"));
        }
        Assert.Equal(1, Volatile.Read(ref _calls));

        using var permitted = await Send($"/{api}/live/items/1", invalidator.Value, maxAgeZero: true);
        Assert.Equal(HttpStatusCode.OK, permitted.StatusCode);
        Assert.NotEqual(first.Call, JsonSerializer.Deserialize<Item>(await permitted.Content.ReadAsStringAsync(), Json)!.Call);
        Assert.Equal(2, Volatile.Read(ref _calls));
    }

    [Fact]
    public async Task Deploy_RejectsOutOfRangeCacheSettings_AndListsTheAcceptedOnes()
    {
        var imported = await _gateway.Admin.ImportApiAsync(new ImportApiRequest { Document = MockDocument }, deadline: GatewayUnderTest.Deadline);
        var tooSmall = new CreateDeploymentRequest { ApiId = imported.Api.Id, StageName = "live", Cache = Cache(ttlSeconds: 60) };
        tooSmall.Cache.CapacityBytes = 10;
        var error = await Assert.ThrowsAsync<RpcException>(() => _gateway.Admin.CreateDeploymentAsync(tooSmall, deadline: GatewayUnderTest.Deadline).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("cache.capacity_bytes", error.Status.Detail, StringComparison.Ordinal);

        var tooLong = new CreateDeploymentRequest { ApiId = imported.Api.Id, StageName = "live", Cache = Cache(ttlSeconds: 3601) };
        error = await Assert.ThrowsAsync<RpcException>(() => _gateway.Admin.CreateDeploymentAsync(tooLong, deadline: GatewayUnderTest.Deadline).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("cache.ttl_seconds", error.Status.Detail, StringComparison.Ordinal);

        await _gateway.Admin.CreateDeploymentAsync(new CreateDeploymentRequest { ApiId = imported.Api.Id, StageName = "live", Cache = Cache(ttlSeconds: 60) }, deadline: GatewayUnderTest.Deadline);
        var stages = await _gateway.Admin.ListStagesAsync(new ListStagesRequest { ApiId = imported.Api.Id }, deadline: GatewayUnderTest.Deadline);
        var cache = Assert.Single(stages.Stages).Cache;
        Assert.True(cache.Enabled);
        Assert.Equal(60, cache.TtlSeconds);
        Assert.Equal(1024 * 1024, cache.CapacityBytes);
    }

    [Fact]
    public async Task Import_RejectsCacheKeyParametersThatAreNotMethodRequestParameters()
    {
        var document = MockDocument.Replace("method.request.querystring.kind", "stageVariables.kind", StringComparison.Ordinal);

        var error = await Assert.ThrowsAsync<RpcException>(() => _gateway.Admin.ImportApiAsync(new ImportApiRequest { Document = document }, deadline: GatewayUnderTest.Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(error.GetDetail<Google.Rpc.BadRequest>()!.FieldViolations);
        Assert.EndsWith("/cacheKeyParameters", violation.Field, StringComparison.Ordinal);
        Assert.Contains("stageVariables.kind", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CacheSettings_SurviveARestart()
    {
        var root = Path.Combine(Path.GetTempPath(), "sluice-gateway-tests", Guid.NewGuid().ToString("N"));
        try
        {
            string api;
            await using (var first = await GatewayUnderTest.StartAsync(root: root))
            {
                var imported = await first.Admin.ImportApiAsync(new ImportApiRequest { Document = HttpDocument(_backendAddress) }, deadline: GatewayUnderTest.Deadline);
                var settings = Cache(ttlSeconds: 120);
                settings.MethodSettings["/items/{id}/POST"] = new MethodCacheSettings { CachingEnabled = true, TtlSeconds = 30 };
                settings.RequireAuthorizationForCacheControl = true;
                settings.UnauthorizedStrategy = UnauthorizedCacheControlStrategy.SucceedWithResponseHeader;
                await first.Admin.CreateDeploymentAsync(new CreateDeploymentRequest { ApiId = imported.Api.Id, StageName = "live", Cache = settings }, deadline: GatewayUnderTest.Deadline);
                api = imported.Api.Id;
            }
            await using var second = await GatewayUnderTest.StartAsync(root: root);

            var stages = await second.Admin.ListStagesAsync(new ListStagesRequest { ApiId = api }, deadline: GatewayUnderTest.Deadline);
            var cache = Assert.Single(stages.Stages).Cache;
            Assert.Equal(120, cache.TtlSeconds);
            Assert.Equal(30, cache.MethodSettings["/items/{id}/POST"].TtlSeconds);
            Assert.Equal(UnauthorizedCacheControlStrategy.SucceedWithResponseHeader, cache.UnauthorizedStrategy);
            using (await second.SendAsync(HttpMethod.Get, $"/{api}/live/items/3"))
            using (var again = await second.SendAsync(HttpMethod.Get, $"/{api}/live/items/3"))
            {
                Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            }
            Assert.Equal(1, Volatile.Read(ref _calls));
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Item(string Id, string Color, int Call);

    [Fact]
    public async Task FlushStageCache_Admin_CachedAnswerBeforeFreshAfter_UnknownStageNotFound()
    {
        var api = await DeployAsync(HttpDocument(_backendAddress), Cache(ttlSeconds: 300));
        var first = await GetAsync($"/{api}/live/items/3?color=red");
        var cached = await GetAsync($"/{api}/live/items/3?color=red");

        await _gateway.Admin.FlushStageCacheAsync(new FlushStageCacheRequest { ApiId = api, StageName = "live" }, deadline: GatewayUnderTest.Deadline);
        var fresh = await GetAsync($"/{api}/live/items/3?color=red");
        var cachedAgain = await GetAsync($"/{api}/live/items/3?color=red");
        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
            await _gateway.Admin.FlushStageCacheAsync(new FlushStageCacheRequest { ApiId = api, StageName = "nosuchstage" }, deadline: GatewayUnderTest.Deadline));

        Assert.Equal(first.Call, cached.Call);
        Assert.NotEqual(first.Call, fresh.Call);
        Assert.Equal(fresh.Call, cachedAgain.Call);
        Assert.Equal(2, Volatile.Read(ref _calls));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("nosuchstage", unknown.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FlushStageCache_TwoGatewaysSharingPostgres_TheOthersCacheEmptiedAtItsRefresh()
    {
        await using var store = await GatewayStores.CreateAsync("Postgres");
        await using var first = await GatewayUnderTest.StartAsync(settings: store.Settings);
        await using var second = await GatewayUnderTest.StartAsync(settings: store.Settings);
        var api = (await first.Admin.ImportApiAsync(new ImportApiRequest { Document = HttpDocument(_backendAddress) }, deadline: GatewayUnderTest.Deadline)).Api.Id;
        await first.Admin.CreateDeploymentAsync(new CreateDeploymentRequest { ApiId = api, StageName = "live", Cache = Cache(ttlSeconds: 3600) },
            deadline: GatewayUnderTest.Deadline);
        var path = $"/{api}/live/items/5?color=red";

        // Each gateway fills its own cache (the second once it has loaded the stage the first made).
        var onSecond = await WaitForAsync(second, path, item => item is not null);
        var cachedOnSecond = await ItemAsync(second, path);
        var onFirst = await ItemAsync(first, path);
        var cachedOnFirst = await ItemAsync(first, path);
        await first.Admin.FlushStageCacheAsync(new FlushStageCacheRequest { ApiId = api, StageName = "live" }, deadline: GatewayUnderTest.Deadline);
        var freshOnFirst = await ItemAsync(first, path);
        // The second answers from its cache until its refresh sees the flush, then calls the backend again.
        var freshOnSecond = await WaitForAsync(second, path, item => item is not null && item.Call != onSecond!.Call);

        Assert.Equal(onSecond!.Call, cachedOnSecond!.Call);
        Assert.Equal(onFirst!.Call, cachedOnFirst!.Call);
        Assert.NotEqual(onFirst.Call, onSecond.Call);
        Assert.NotEqual(onFirst.Call, freshOnFirst!.Call);
        Assert.True(freshOnSecond is not null, "The second gateway still answered from its cache a minute after the flush on the first.");
    }

    /// <summary>Calls until <paramref name="done"/> holds for the answer (null: not answered 200), for up to a minute; null if it never does.</summary>
    private static async Task<Item?> WaitForAsync(GatewayUnderTest gateway, string path, Func<Item?, bool> done)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (DateTime.UtcNow < deadline)
        {
            var item = await ItemAsync(gateway, path);
            if (done(item))
            {
                return item;
            }
            await Task.Delay(50);
        }
        return null;
    }

    /// <summary>The backend's item as the gateway answered it; null when the answer is not 200.</summary>
    private static async Task<Item?> ItemAsync(GatewayUnderTest gateway, string path)
    {
        using var response = await gateway.SendAsync(HttpMethod.Get, path);
        return response.StatusCode == HttpStatusCode.OK ? JsonSerializer.Deserialize<Item>(await response.Content.ReadAsStringAsync(), Json) : null;
    }

    private static StageCacheSettings Cache(int ttlSeconds) => new() { Enabled = true, CapacityBytes = 1024 * 1024, TtlSeconds = ttlSeconds };

    private async Task<string> DeployAsync(string document, StageCacheSettings cache)
    {
        var api = await _gateway.Admin.ImportApiAsync(new ImportApiRequest { Document = document }, deadline: GatewayUnderTest.Deadline);
        await _gateway.Admin.CreateDeploymentAsync(new CreateDeploymentRequest { ApiId = api.Api.Id, StageName = "live", Cache = cache }, deadline: GatewayUnderTest.Deadline);
        return api.Api.Id;
    }

    private Task<HttpResponseMessage> Send(string path, string? key = null, bool maxAgeZero = false) =>
        _gateway.SendAsync(HttpMethod.Get, path, key, headers: maxAgeZero ? new Dictionary<string, string> { ["Cache-Control"] = "max-age=0" } : null);

    private async Task<Item> GetAsync(string path, bool maxAgeZero = false)
    {
        using var response = await Send(path, maxAgeZero: maxAgeZero);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonSerializer.Deserialize<Item>(text, Json)!;
    }

    private static string HttpDocument(string backend) => $$"""
        openapi: 3.0.1
        info:
          title: Cached
          version: "1"
        paths:
          /items/{id}:
            get:
              x-amazon-apigateway-integration:
                type: http
                httpMethod: GET
                uri: {{backend}}/items/{id}
                requestParameters:
                  integration.request.path.id: method.request.path.id
                  integration.request.querystring.color: method.request.querystring.color
                cacheKeyParameters:
                  - method.request.path.id
                  - method.request.querystring.color
            post:
              x-amazon-apigateway-integration:
                type: http
                httpMethod: POST
                uri: {{backend}}/items/{id}
                requestParameters:
                  integration.request.path.id: method.request.path.id
                cacheKeyParameters:
                  - method.request.path.id
        """;

    private const string MockDocument = """
        openapi: 3.0.1
        info:
          title: Status
          version: "1"
        paths:
          /status:
            get:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: '{"statusCode": $input.params(''code'')}'
                cacheKeyParameters:
                  - method.request.querystring.kind
        """;
}
