using System.Net;
using System.Text.Json;

namespace Sluice.Gateway.Tests;

/// <summary>
/// Deployments apart from stages, update-stage, per-method throttles through patch paths, stage
/// access logs and flush-stage-cache, driven by the real AWS CLI against the management API.
/// </summary>
public sealed class ManagementStageCliTests(ManagementApiFixture fixture) : IClassFixture<ManagementApiFixture>
{
    [Fact]
    public async Task Deployments_StageServesItsDeploymentUntilUpdateStagePointsItAtAnother()
    {
        var apiId = (await fixture.AwsJsonAsync("import-rest-api", "--body", fixture.FileArgument(Documents.Hello("first")))).GetProperty("id").GetString()!;
        var first = await fixture.AwsJsonAsync("create-deployment", "--rest-api-id", apiId, "--stage-name", "live", "--description", "first version",
            "--variables", "who=world");
        var firstId = first.GetProperty("id").GetString()!;
        Assert.Equal("first version", first.GetProperty("description").GetString());
        Assert.Equal("first world", await SayAsync(apiId, "live"));

        // A new document, and a deployment of it without a stage: the stage keeps serving the first.
        await fixture.AwsJsonAsync("put-rest-api", "--rest-api-id", apiId, "--mode", "overwrite", "--body", fixture.FileArgument(Documents.Hello("second")));
        var afterPut = await SayAsync(apiId, "live");
        var second = await fixture.AwsJsonAsync("create-deployment", "--rest-api-id", apiId, "--description", "second version");
        var secondId = second.GetProperty("id").GetString()!;
        var afterSecondDeployment = await SayAsync(apiId, "live");
        var deployments = await fixture.AwsJsonAsync("get-deployments", "--rest-api-id", apiId);
        var fetched = await fixture.AwsJsonAsync("get-deployment", "--rest-api-id", apiId, "--deployment-id", secondId);
        var inUse = await fixture.AwsErrorAsync("delete-deployment", "--rest-api-id", apiId, "--deployment-id", firstId);

        Assert.Equal("first world", afterPut);
        Assert.Equal("first world", afterSecondDeployment);
        Assert.Equal([(firstId, "first version"), (secondId, "second version")],
            deployments.GetProperty("items").EnumerateArray().Select(d => (d.GetProperty("id").GetString()!, d.GetProperty("description").GetString()!))
                .OrderBy(d => d.Item2, StringComparer.Ordinal));
        Assert.Equal((secondId, "second version"), (fetched.GetProperty("id").GetString(), fetched.GetProperty("description").GetString()));
        Assert.Contains("(BadRequestException)", inUse, StringComparison.Ordinal);
        Assert.Contains("Active stages pointing to this deployment must be moved or deleted", inUse, StringComparison.Ordinal);

        // Rolled forward: the stage serves the second deployment, keeping its variables; the first can go.
        var rolled = await fixture.AwsJsonAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations",
            $"op=replace,path=/deploymentId,value={secondId}");
        Assert.Equal(secondId, rolled.GetProperty("deploymentId").GetString());
        Assert.Equal("second world", await SayAsync(apiId, "live"));
        await fixture.AwsJsonAsync("delete-deployment", "--rest-api-id", apiId, "--deployment-id", firstId);
        var gone = await fixture.AwsErrorAsync("get-deployment", "--rest-api-id", apiId, "--deployment-id", firstId);
        Assert.Contains("(NotFoundException)", gone, StringComparison.Ordinal);
        Assert.Contains("Invalid Deployment identifier specified", gone, StringComparison.Ordinal);

        // A stage created on a deployment serves that deployment's document.
        var canary = await fixture.AwsJsonAsync("create-stage", "--rest-api-id", apiId, "--stage-name", "canary", "--deployment-id", secondId, "--variables", "who=canary");
        Assert.Equal(secondId, canary.GetProperty("deploymentId").GetString());
        Assert.Equal("second canary", await SayAsync(apiId, "canary"));
    }

    [Fact]
    public async Task UpdateStage_UnknownIdsAndBadPatches_RefusedAndNothingChanged()
    {
        var apiId = (await fixture.AwsJsonAsync("import-rest-api", "--body", fixture.FileArgument(Documents.Hello("kept")))).GetProperty("id").GetString()!;
        var deploymentId = (await fixture.AwsJsonAsync("create-deployment", "--rest-api-id", apiId, "--stage-name", "live", "--variables", "who=you"))
            .GetProperty("id").GetString()!;

        var unknownApi = await fixture.AwsErrorAsync("get-deployments", "--rest-api-id", "nosuchapi");
        var unknownStage = await fixture.AwsErrorAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "nosuchstage", "--patch-operations", "op=replace,path=/variables/a,value=b");
        var unknownDeployment = await fixture.AwsErrorAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations",
            "op=replace,path=/variables/who,value=changed", "op=replace,path=/deploymentId,value=nosuchdep");
        var badPath = await fixture.AwsErrorAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations",
            "op=replace,path=/variables/who,value=changed", "op=replace,path=/tracingEnabled,value=true");
        var unescapedPath = await fixture.AwsErrorAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations",
            "op=replace,path=/hello/GET/throttling/rateLimit,value=1", "op=replace,path=/hello/GET/throttling/burstLimit,value=1");
        var badCacheSize = await fixture.AwsErrorAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations",
            "op=replace,path=/description,value=changed", "op=replace,path=/cacheClusterEnabled,value=true", "op=replace,path=/cacheClusterSize,value=3");
        var badCacheEnabled = await fixture.AwsErrorAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations",
            "op=replace,path=/description,value=changed", "op=replace,path=/cacheClusterEnabled,value=yes");
        var badDeploymentPatch = await fixture.AwsErrorAsync("update-deployment", "--rest-api-id", apiId, "--deployment-id", deploymentId, "--patch-operations",
            "op=replace,path=/description,value=changed", "op=replace,path=/stageName,value=other");
        var unknownStageForNewStage = await fixture.AwsErrorAsync("create-stage", "--rest-api-id", apiId, "--stage-name", "other", "--deployment-id", "nosuchdep");

        Assert.Contains("(NotFoundException)", unknownApi, StringComparison.Ordinal);
        Assert.Contains("Invalid API identifier specified", unknownApi, StringComparison.Ordinal);
        Assert.Contains("(NotFoundException)", unknownStage, StringComparison.Ordinal);
        Assert.Contains("Invalid Stage identifier specified", unknownStage, StringComparison.Ordinal);
        Assert.Contains("(NotFoundException)", unknownDeployment, StringComparison.Ordinal);
        Assert.Contains("nosuchdep", unknownDeployment, StringComparison.Ordinal);
        Assert.Contains("(BadRequestException)", badPath, StringComparison.Ordinal);
        Assert.Contains("Invalid patch path '/tracingEnabled'", badPath, StringComparison.Ordinal);
        Assert.Contains("replace /deploymentId", badPath, StringComparison.Ordinal);
        Assert.Contains("replace /{resourcePath}/{httpMethod}/throttling/rateLimit", badPath, StringComparison.Ordinal);
        Assert.Contains("(BadRequestException)", unescapedPath, StringComparison.Ordinal);
        Assert.Contains("~1", unescapedPath, StringComparison.Ordinal);
        Assert.Contains("(BadRequestException)", badCacheSize, StringComparison.Ordinal);
        Assert.Contains("Invalid cache cluster size '3'", badCacheSize, StringComparison.Ordinal);
        Assert.Contains("0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237", badCacheSize, StringComparison.Ordinal);
        Assert.Contains("(BadRequestException)", badCacheEnabled, StringComparison.Ordinal);
        Assert.Contains("/cacheClusterEnabled", badCacheEnabled, StringComparison.Ordinal);
        Assert.Contains("(BadRequestException)", badDeploymentPatch, StringComparison.Ordinal);
        Assert.Contains("Invalid patch path '/stageName'", badDeploymentPatch, StringComparison.Ordinal);
        Assert.Contains("(NotFoundException)", unknownStageForNewStage, StringComparison.Ordinal);
        var stage = await fixture.AwsJsonAsync("get-stage", "--rest-api-id", apiId, "--stage-name", "live");
        Assert.Equal(deploymentId, stage.GetProperty("deploymentId").GetString());
        Assert.Equal("you", stage.GetProperty("variables").GetProperty("who").GetString());
        Assert.Equal("", stage.GetProperty("description").GetString());
        Assert.False(stage.GetProperty("cacheClusterEnabled").GetBoolean());
        Assert.False(stage.TryGetProperty("cacheClusterSize", out _));
        Assert.Empty(stage.GetProperty("methodSettings").EnumerateObject());
        Assert.Equal("", (await fixture.AwsJsonAsync("get-deployment", "--rest-api-id", apiId, "--deployment-id", deploymentId)).GetProperty("description").GetString());
        Assert.Equal("kept you", await SayAsync(apiId, "live"));
    }

    [Fact]
    public async Task UpdateStage_MethodThrottle_EnforcedUntilRemoved()
    {
        var apiId = (await fixture.AwsJsonAsync("import-rest-api", "--body", fixture.FileArgument(Documents.Hello()))).GetProperty("id").GetString()!;
        await fixture.AwsJsonAsync("create-deployment", "--rest-api-id", apiId, "--stage-name", "live");

        // A rate this low refills nothing while the test runs: the burst of 2 is all there is.
        var throttled = await fixture.AwsJsonAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations",
            "op=replace,path=/~1hello/GET/throttling/rateLimit,value=0.001", "op=replace,path=/~1hello/GET/throttling/burstLimit,value=2");
        var setting = throttled.GetProperty("methodSettings").EnumerateObject().Single().Value;
        Assert.Equal((0.001, 2), (setting.GetProperty("throttlingRateLimit").GetDouble(), setting.GetProperty("throttlingBurstLimit").GetInt32()));
        var statuses = await StatusesAsync($"/{apiId}/live/hello", null, 4);
        await fixture.AwsJsonAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations",
            "op=remove,path=/~1hello/GET/throttling/rateLimit");
        var afterRemove = await StatusesAsync($"/{apiId}/live/hello", null, 4);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.All(afterRemove, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Fact]
    public async Task UpdateStage_NewMethodThrottleWithOneLimit_OtherFromTheStageDefaultElseTheAccountLimits()
    {
        var apiId = (await fixture.AwsJsonAsync("import-rest-api", "--body", fixture.FileArgument(Documents.Hello()))).GetProperty("id").GetString()!;
        await fixture.AwsJsonAsync("create-deployment", "--rest-api-id", apiId, "--stage-name", "live");

        // No */* throttle yet: a new method throttle takes API Gateway's account limits (10000 per second, burst 5000).
        var rateOnly = await fixture.AwsJsonAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations",
            "op=replace,path=/~1hello/POST/throttling/rateLimit,value=0.001");
        // A */* throttle given its burst alone; a method given its rate alone in the same call takes the */* burst.
        var withDefault = await fixture.AwsJsonAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations",
            "op=replace,path=/*/*/throttling/burstLimit,value=7", "op=replace,path=/~1hello/GET/throttling/rateLimit,value=0.001");
        var burstOnly = await fixture.AwsJsonAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations",
            "op=replace,path=/*/*/throttling/rateLimit,value=3", "op=replace,path=/~1hello/PUT/throttling/burstLimit,value=1");

        Assert.Equal((0.001, 5000), Limits(rateOnly, "~1hello/POST"));
        Assert.Equal((10000, 7), Limits(withDefault, "*/*"));
        Assert.Equal((0.001, 7), Limits(withDefault, "~1hello/GET"));
        Assert.Equal((0.001, 5000), Limits(withDefault, "~1hello/POST"));
        Assert.Equal((3, 7), Limits(burstOnly, "*/*"));
        Assert.Equal((3, 1), Limits(burstOnly, "~1hello/PUT"));
        // GET /hello holds the */* burst of 7 and refills nothing meanwhile: the eighth call is refused.
        var statuses = await StatusesAsync($"/{apiId}/live/hello", null, 8);
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 7), HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task UpdateStage_DescriptionAndCacheCluster_ShownAndAResizedCacheStartsEmpty()
    {
        var apiId = (await fixture.AwsJsonAsync("import-rest-api", "--body", fixture.FileArgument(CounterDocument))).GetProperty("id").GetString()!;
        var deploymentId = (await fixture.AwsJsonAsync("create-deployment", "--rest-api-id", apiId, "--stage-name", "live", "--variables", $"backend={fixture.PetStoreHost}"))
            .GetProperty("id").GetString()!;
        var uncached = (await CallAsync(apiId), await CallAsync(apiId));

        var updated = await fixture.AwsJsonAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations",
            "op=replace,path=/description,value=the live stage", "op=replace,path=/cacheClusterEnabled,value=true", "op=replace,path=/cacheClusterSize,value=1.6");
        var cached = (await CallAsync(apiId), await CallAsync(apiId));
        var resized = await fixture.AwsJsonAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations",
            "op=replace,path=/cacheClusterSize,value=0.5");
        var afterResize = (await CallAsync(apiId), await CallAsync(apiId));
        await fixture.AwsJsonAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations", "op=replace,path=/cacheClusterEnabled,value=false");
        var afterDisable = (await CallAsync(apiId), await CallAsync(apiId));
        var deployment = await fixture.AwsJsonAsync("update-deployment", "--rest-api-id", apiId, "--deployment-id", deploymentId, "--patch-operations",
            "op=replace,path=/description,value=counter v1");
        var fetched = await fixture.AwsJsonAsync("get-stage", "--rest-api-id", apiId, "--stage-name", "live");

        Assert.NotEqual(uncached.Item1, uncached.Item2);
        Assert.Equal("the live stage", updated.GetProperty("description").GetString());
        Assert.True(updated.GetProperty("cacheClusterEnabled").GetBoolean());
        Assert.Equal(("1.6", "AVAILABLE"), (updated.GetProperty("cacheClusterSize").GetString(), updated.GetProperty("cacheClusterStatus").GetString()));
        Assert.Equal(cached.Item1, cached.Item2);
        Assert.Equal("0.5", resized.GetProperty("cacheClusterSize").GetString());
        Assert.NotEqual(cached.Item1, afterResize.Item1);
        Assert.Equal(afterResize.Item1, afterResize.Item2);
        Assert.NotEqual(afterDisable.Item1, afterDisable.Item2);
        Assert.Equal("counter v1", deployment.GetProperty("description").GetString());
        Assert.Equal("counter v1", (await fixture.AwsJsonAsync("get-deployment", "--rest-api-id", apiId, "--deployment-id", deploymentId)).GetProperty("description").GetString());
        Assert.Equal("the live stage", fetched.GetProperty("description").GetString());
        Assert.Equal(("NOT_AVAILABLE", "0.5"), (fetched.GetProperty("cacheClusterStatus").GetString(), fetched.GetProperty("cacheClusterSize").GetString()));
    }

    [Fact]
    public async Task DeleteStage_StageGoesWithItsPlanAttachmentAndCache()
    {
        var apiId = (await fixture.AwsJsonAsync("import-rest-api", "--body", fixture.FileArgument(CounterDocument))).GetProperty("id").GetString()!;
        var deploymentId = (await fixture.AwsJsonAsync("create-deployment", "--rest-api-id", apiId, "--description", "counter")).GetProperty("id").GetString()!;
        string[] createStage = ["create-stage", "--rest-api-id", apiId, "--stage-name", "live", "--deployment-id", deploymentId,
            "--description", "cached", "--cache-cluster-enabled", "--cache-cluster-size", "0.5", "--variables", $"backend={fixture.PetStoreHost}"];
        var created = await fixture.AwsJsonAsync(createStage);
        await fixture.AwsJsonAsync("create-stage", "--rest-api-id", apiId, "--stage-name", "other", "--deployment-id", deploymentId);
        var plan = await fixture.AwsJsonAsync("create-usage-plan", "--name", "stage-deleted", "--api-stages", $"apiId={apiId},stage=live", $"apiId={apiId},stage=other");
        var planId = plan.GetProperty("id").GetString()!;
        var cached = (await CallAsync(apiId), await CallAsync(apiId));

        await fixture.AwsJsonAsync("delete-stage", "--rest-api-id", apiId, "--stage-name", "live");
        using var gone = await fixture.Gateway.SendAsync(HttpMethod.Get, $"/{apiId}/live/counter");
        var stages = await fixture.AwsJsonAsync("get-stages", "--rest-api-id", apiId);
        var planAfter = await fixture.AwsJsonAsync("get-usage-plan", "--usage-plan-id", planId);
        var again = await fixture.AwsErrorAsync("delete-stage", "--rest-api-id", apiId, "--stage-name", "live");
        var unknownApi = await fixture.AwsErrorAsync("delete-stage", "--rest-api-id", "nosuchapi", "--stage-name", "live");
        // The same stage made again on the same deployment starts with an empty cache.
        await fixture.AwsJsonAsync(createStage);
        var recreated = await CallAsync(apiId);

        Assert.Equal(("cached", true, "0.5"), (created.GetProperty("description").GetString(), created.GetProperty("cacheClusterEnabled").GetBoolean(),
            created.GetProperty("cacheClusterSize").GetString()));
        Assert.Equal(cached.Item1, cached.Item2);
        Assert.Equal(HttpStatusCode.Forbidden, gone.StatusCode);
        Assert.Equal(["other"], stages.GetProperty("item").EnumerateArray().Select(s => s.GetProperty("stageName").GetString()));
        Assert.Equal(["other"], planAfter.GetProperty("apiStages").EnumerateArray().Select(s => s.GetProperty("stage").GetString()));
        Assert.Contains("(NotFoundException)", again, StringComparison.Ordinal);
        Assert.Contains("Invalid Stage identifier specified", again, StringComparison.Ordinal);
        Assert.Contains("(NotFoundException)", unknownApi, StringComparison.Ordinal);
        Assert.NotEqual(cached.Item1, recreated);
    }

    [Fact]
    public async Task UpdateUsagePlan_MethodThrottleOfAnApiStage_EnforcedForTheKeyOnThatMethodOnly()
    {
        var apiId = (await fixture.AwsJsonAsync("import-rest-api", "--body", fixture.FileArgument(Documents.Metered))).GetProperty("id").GetString()!;
        await fixture.AwsJsonAsync("create-deployment", "--rest-api-id", apiId, "--stage-name", "live");
        var key = await fixture.AwsJsonAsync("create-api-key", "--name", "throttled-caller", "--enabled");
        var plan = await fixture.AwsJsonAsync("create-usage-plan", "--name", "method-throttles", "--throttle", "burstLimit=100,rateLimit=100",
            "--api-stages", $"apiId={apiId},stage=live");
        var planId = plan.GetProperty("id").GetString()!;
        await fixture.AwsJsonAsync("create-usage-plan-key", "--usage-plan-id", planId, "--key-id", key.GetProperty("id").GetString()!, "--key-type", "API_KEY");

        var badStage = await fixture.AwsErrorAsync("update-usage-plan", "--usage-plan-id", planId, "--patch-operations",
            $"op=replace,path=/apiStages/{apiId}:nosuchstage/throttle/~1items/GET/rateLimit,value=1");
        var updated = await fixture.AwsJsonAsync("update-usage-plan", "--usage-plan-id", planId, "--patch-operations",
            $"op=replace,path=/apiStages/{apiId}:live/throttle/~1items/GET/rateLimit,value=0.001",
            $"op=replace,path=/apiStages/{apiId}:live/throttle/~1items/GET/burstLimit,value=1");
        var value = key.GetProperty("value").GetString();
        var items = await StatusesAsync($"/{apiId}/live/items", value, 3);
        var other = await StatusesAsync($"/{apiId}/live/other", value, 3);

        Assert.Contains("(NotFoundException)", badStage, StringComparison.Ordinal);
        Assert.Contains("nosuchstage", badStage, StringComparison.Ordinal);
        var throttle = updated.GetProperty("apiStages")[0].GetProperty("throttle").GetProperty("/items/GET");
        Assert.Equal((0.001, 1), (throttle.GetProperty("rateLimit").GetDouble(), throttle.GetProperty("burstLimit").GetInt32()));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], items);
        Assert.All(other, s => Assert.Equal(HttpStatusCode.OK, s));

        await fixture.AwsJsonAsync("update-usage-plan", "--usage-plan-id", planId, "--patch-operations",
            $"op=remove,path=/apiStages/{apiId}:live/throttle/~1items/GET/burstLimit");
        var stored = await fixture.AwsJsonAsync("get-usage-plan", "--usage-plan-id", planId);
        Assert.False(stored.GetProperty("apiStages")[0].TryGetProperty("throttle", out var left) && left.EnumerateObject().Any());
        Assert.All(await StatusesAsync($"/{apiId}/live/items", value, 3), s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Fact]
    public async Task UpdateStage_AccessLogSettings_LinesInTheStagesFileInEachFormat()
    {
        var apiId = (await fixture.AwsJsonAsync("import-rest-api", "--body", fixture.FileArgument(Documents.Hello()))).GetProperty("id").GetString()!;
        await fixture.AwsJsonAsync("create-deployment", "--rest-api-id", apiId, "--stage-name", "live");
        var destination = $"file:logs/{apiId}-live.log";
        var file = Path.Combine(fixture.Gateway.Root, "logs", $"{apiId}-live.log");

        var set = await fixture.AwsJsonAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations", Patches(
            ("replace", "/accessLogSettings/format", "$context.httpMethod $context.resourcePath $context.status stage=$context.stage"),
            ("replace", "/accessLogSettings/destinationArn", destination)));
        var fetched = await fixture.AwsJsonAsync("get-stage", "--rest-api-id", apiId, "--stage-name", "live");
        await SayAsync(apiId, "live");
        var textLine = (await AccessLogTests.WaitForLinesAsync(file, 1))[0];
        await fixture.AwsJsonAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations", Patches(
            ("replace", "/accessLogSettings/format", "{\"path\": \"$context.resourcePath\", \"status\": \"$context.status\"}")));
        await SayAsync(apiId, "live");
        var jsonLine = (await AccessLogTests.WaitForLinesAsync(file, 2))[1];

        Assert.Equal(destination, set.GetProperty("accessLogSettings").GetProperty("destinationArn").GetString());
        Assert.Equal("$context.httpMethod $context.resourcePath $context.status stage=$context.stage",
            fetched.GetProperty("accessLogSettings").GetProperty("format").GetString());
        Assert.Equal("GET /hello 200 stage=live", textLine);
        var json = JsonDocument.Parse(jsonLine).RootElement;
        Assert.Equal(("/hello", "200"), (json.GetProperty("path").GetString(), json.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task UpdateStage_BadAccessLogSettings_RefusedNamingTheProblemAndNothingChanged()
    {
        var apiId = (await fixture.AwsJsonAsync("import-rest-api", "--body", fixture.FileArgument(Documents.Hello()))).GetProperty("id").GetString()!;
        await fixture.AwsJsonAsync("create-deployment", "--rest-api-id", apiId, "--stage-name", "live");

        var cloudWatch = await fixture.AwsErrorAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations", Patches(
            ("replace", "/accessLogSettings/format", "$context.requestId"),
            ("replace", "/accessLogSettings/destinationArn", "arn:aws:logs:us-east-1:123456789012:log-group:api-access")));
        var escaping = await fixture.AwsErrorAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations", Patches(
            ("replace", "/accessLogSettings/format", "$context.requestId"), ("replace", "/accessLogSettings/destinationArn", "file:../outside.log")));
        var unknownVariable = await fixture.AwsErrorAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations", Patches(
            ("replace", "/accessLogSettings/format", "$context.nonsense"), ("replace", "/accessLogSettings/destinationArn", "file:x.log")));
        var formatOnly = await fixture.AwsErrorAsync("update-stage", "--rest-api-id", apiId, "--stage-name", "live", "--patch-operations", Patches(
            ("replace", "/accessLogSettings/format", "$context.requestId")));

        Assert.Contains("(BadRequestException)", cloudWatch, StringComparison.Ordinal);
        Assert.Contains("destinationArn 'arn:aws:logs:us-east-1:123456789012:log-group:api-access' is not supported", cloudWatch, StringComparison.Ordinal);
        Assert.Contains("file:", cloudWatch, StringComparison.Ordinal);
        Assert.Contains("(BadRequestException)", escaping, StringComparison.Ordinal);
        Assert.Contains("(BadRequestException)", unknownVariable, StringComparison.Ordinal);
        Assert.Contains("$context.nonsense", unknownVariable, StringComparison.Ordinal);
        Assert.Contains("(BadRequestException)", formatOnly, StringComparison.Ordinal);
        Assert.Contains("both a format and a destinationArn", formatOnly, StringComparison.Ordinal);
        var stage = await fixture.AwsJsonAsync("get-stage", "--rest-api-id", apiId, "--stage-name", "live");
        Assert.False(stage.TryGetProperty("accessLogSettings", out _));
    }

    /// <summary>GET /counter: the fixture's backend answers a new number at each call, so a repeated number came from the stage cache.</summary>
    private const string CounterDocument = """
        openapi: 3.0.1
        info:
          title: Counter
          version: "1"
        paths:
          /counter:
            get:
              x-amazon-apigateway-integration:
                type: http
                httpMethod: GET
                uri: http://${stageVariables.backend}/counter
        """;

    [Fact]
    public async Task FlushStageCache_AwsCli_CachedAnswerBeforeFreshAfter()
    {
        var apiId = (await fixture.AwsJsonAsync("import-rest-api", "--body", fixture.FileArgument(CounterDocument))).GetProperty("id").GetString()!;
        // The stage cache is set through the admin service (create-deployment has no cache settings of ours).
        await fixture.Gateway.Admin.CreateDeploymentAsync(new V1.CreateDeploymentRequest
        {
            ApiId = apiId,
            StageName = "live",
            Variables = { ["backend"] = fixture.PetStoreHost },
            Cache = new V1.StageCacheSettings { Enabled = true, CapacityBytes = 1024 * 1024, TtlSeconds = 300 },
        }, deadline: GatewayUnderTest.Deadline);

        var first = await CallAsync(apiId);
        var cached = await CallAsync(apiId);
        await fixture.AwsJsonAsync("flush-stage-cache", "--rest-api-id", apiId, "--stage-name", "live");
        var fresh = await CallAsync(apiId);
        var unknown = await fixture.AwsErrorAsync("flush-stage-cache", "--rest-api-id", apiId, "--stage-name", "nosuchstage");

        Assert.Equal(first, cached);
        Assert.NotEqual(first, fresh);
        Assert.Contains("(NotFoundException)", unknown, StringComparison.Ordinal);
        Assert.Contains("Invalid Stage identifier specified", unknown, StringComparison.Ordinal);
    }

    private async Task<int> CallAsync(string apiId)
    {
        using var response = await fixture.Gateway.SendAsync(HttpMethod.Get, $"/{apiId}/live/counter");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("call").GetInt32();
    }

    /// <summary>A method setting's (throttlingRateLimit, throttlingBurstLimit) in a stage shape.</summary>
    private static (double Rate, int Burst) Limits(JsonElement stage, string key)
    {
        var setting = stage.GetProperty("methodSettings").GetProperty(key);
        return (setting.GetProperty("throttlingRateLimit").GetDouble(), setting.GetProperty("throttlingBurstLimit").GetInt32());
    }

    /// <summary>patchOperations as the CLI's JSON form (values with commas or spaces do not survive its shorthand).</summary>
    private static string Patches(params (string Op, string Path, string Value)[] patches) =>
        JsonSerializer.Serialize(patches.Select(p => new { op = p.Op, path = p.Path, value = p.Value }));

    private async Task<string> SayAsync(string apiId, string stage)
    {
        using var response = await fixture.Gateway.SendAsync(HttpMethod.Get, $"/{apiId}/{stage}/hello");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("say").GetString()!;
    }

    private async Task<List<HttpStatusCode>> StatusesAsync(string path, string? key, int count)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            using var response = await fixture.Gateway.SendAsync(HttpMethod.Get, path, key);
            statuses.Add(response.StatusCode);
        }
        return statuses;
    }
}
