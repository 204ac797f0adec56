using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Sluice.Gateway.Tests;

/// <summary>The real AWS CLI v2 (/usr/bin/aws apigateway ...) against the gateway's management API.</summary>
public sealed class ManagementApiCliTests(ManagementApiFixture fixture) : IClassFixture<ManagementApiFixture>
{
    [Fact]
    public async Task PetStore_AwsCli_ImportKeyPlanStageThrottledUsageAndTestInvoke()
    {
        var imported = await fixture.AwsJsonAsync("import-rest-api", "--body", fixture.FileArgument(ManagementApiFixture.PetStore));
        var apiId = imported.GetProperty("id").GetString()!;
        Assert.Equal("PetStore", imported.GetProperty("name").GetString());
        var replaced = await fixture.AwsJsonAsync("put-rest-api", "--rest-api-id", apiId, "--mode", "overwrite", "--body", fixture.FileArgument(ManagementApiFixture.PetStoreWithKey));
        Assert.Equal(apiId, replaced.GetProperty("id").GetString());
        var listed = await fixture.AwsJsonAsync("get-rest-apis");
        Assert.Contains(listed.GetProperty("items").EnumerateArray(), a => a.GetProperty("id").GetString() == apiId && a.GetProperty("name").GetString() == "PetStore");

        var resources = (await fixture.AwsJsonAsync("get-resources", "--rest-api-id", apiId)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["/", "/pets", "/pets/{petId}", "/validation"], resources.Select(r => r.GetProperty("path").GetString()).Order(StringComparer.Ordinal));
        var pets = resources.Single(r => r.GetProperty("path").GetString() == "/pets");
        var root = resources.Single(r => r.GetProperty("path").GetString() == "/");
        Assert.Equal(root.GetProperty("id").GetString(), pets.GetProperty("parentId").GetString());
        Assert.Equal(["GET", "POST"], pets.GetProperty("resourceMethods").EnumerateObject().Select(m => m.Name).Order(StringComparer.Ordinal));
        var method = await fixture.AwsJsonAsync("get-method", "--rest-api-id", apiId, "--resource-id", pets.GetProperty("id").GetString()!, "--http-method", "GET");
        Assert.True(method.GetProperty("apiKeyRequired").GetBoolean());
        var integration = method.GetProperty("methodIntegration");
        Assert.Equal("HTTP", integration.GetProperty("type").GetString());
        Assert.Equal("http://${stageVariables.petstoreHost}/petstore/pets", integration.GetProperty("uri").GetString());
        Assert.Contains("salesPrice", integration.GetProperty("integrationResponses").GetProperty("200").GetProperty("responseTemplates").GetProperty("application/json").GetString());

        var variables = JsonSerializer.Serialize(new Dictionary<string, string> { ["petstoreHost"] = fixture.PetStoreHost });
        var deployment = await fixture.AwsJsonAsync("create-deployment", "--rest-api-id", apiId, "--stage-name", "dev", "--variables", variables);
        var stage = await fixture.AwsJsonAsync("create-stage", "--rest-api-id", apiId, "--stage-name", "prod", "--deployment-id", deployment.GetProperty("id").GetString()!, "--variables", variables);
        Assert.Equal(deployment.GetProperty("id").GetString(), stage.GetProperty("deploymentId").GetString());
        var stages = (await fixture.AwsJsonAsync("get-stages", "--rest-api-id", apiId)).GetProperty("item").EnumerateArray();
        Assert.Equal(["dev", "prod"], stages.Select(s => s.GetProperty("stageName").GetString()));

        var key = await fixture.AwsJsonAsync("create-api-key", "--name", "pet-client", "--enabled");
        var keyId = key.GetProperty("id").GetString()!;
        var plan = await fixture.AwsJsonAsync("create-usage-plan", "--name", "pets-basic", "--throttle", "burstLimit=2,rateLimit=0.1",
            "--quota", "limit=100,offset=0,period=DAY", "--api-stages", $"apiId={apiId},stage=prod");
        var planId = plan.GetProperty("id").GetString()!;
        Assert.Equal("DAY", plan.GetProperty("quota").GetProperty("period").GetString());
        var planKey = await fixture.AwsJsonAsync("create-usage-plan-key", "--usage-plan-id", planId, "--key-id", keyId, "--key-type", "API_KEY");
        Assert.Equal(keyId, planKey.GetProperty("id").GetString());

        // Without the key the method is refused; with it, calls pass until the plan's burst of 2 is spent.
        using (var anonymous = await fixture.Gateway.SendAsync(HttpMethod.Get, $"/{apiId}/prod/pets"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        }
        var passed = 0;
        var throttled = false;
        for (var attempt = 0; attempt < 30 && !throttled; attempt++)
        {
            using var response = await fixture.Gateway.SendAsync(HttpMethod.Get, $"/{apiId}/prod/pets", key.GetProperty("value").GetString());
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                throttled = true;
                continue;
            }
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("salesPrice", await response.Content.ReadAsStringAsync());
            passed++;
        }
        Assert.True(throttled, "30 calls at a plan throttle of 0.1 requests/s, burst 2, were never throttled");
        Assert.InRange(passed, 2, 29);

        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var usage = await fixture.AwsJsonAsync("get-usage", "--usage-plan-id", planId, "--start-date", today, "--end-date", today);
        Assert.Equal(planId, usage.GetProperty("usagePlanId").GetString());
        var day = Assert.Single(usage.GetProperty("items").GetProperty(keyId).EnumerateArray());
        Assert.Equal([passed, 100 - passed], day.EnumerateArray().Select(v => v.GetInt64()));

        // The developer guide's input mapping template on POST /validation, run by test-invoke-method.
        var validation = resources.Single(r => r.GetProperty("path").GetString() == "/validation").GetProperty("id").GetString()!;
        var invoked = await fixture.AwsJsonAsync("test-invoke-method", "--rest-api-id", apiId, "--resource-id", validation, "--http-method", "POST",
            "--path-with-query-string", "/validation", "--body", """{"type": "dog", "price": 30}""",
            "--headers", """{"Content-Type": "application/json", "User-Agent": "cli-test"}""");
        Assert.Equal(200, invoked.GetProperty("status").GetInt32());
        var echoed = JsonDocument.Parse(invoked.GetProperty("body").GetString()!).RootElement.GetProperty("pet");
        Assert.Equal("dog", echoed.GetProperty("type").GetString());
        Assert.Equal(30, echoed.GetProperty("price").GetInt32());
        Assert.Equal("cli-test", echoed.GetProperty("source").GetString());
        Assert.Equal("dev", echoed.GetProperty("stage").GetString());
        Assert.Contains("Method request body before transformations", invoked.GetProperty("log").GetString());
    }

    [Fact]
    public async Task AnyOperation_WrongSecretOrUnknownKey_RefusedAndNothingCreated()
    {
        var (wrongExit, _, wrongSecret) = await fixture.AwsAsync(["create-api-key", "--name", "sneaky", "--enabled"], secret: "not-the-secret");
        var (unknownExit, _, unknownKey) = await fixture.AwsAsync(["get-rest-apis"], accessKeyId: "AKIDUNKNOWN0000000");

        Assert.NotEqual(0, wrongExit);
        Assert.Contains("(ForbiddenException)", wrongSecret, StringComparison.Ordinal);
        Assert.Contains("signature we calculated does not match", wrongSecret, StringComparison.Ordinal);
        Assert.NotEqual(0, unknownExit);
        Assert.Contains("(UnauthorizedException)", unknownKey, StringComparison.Ordinal);
        var keys = await fixture.AwsJsonAsync("get-api-keys", "--name-query", "sneaky");
        Assert.Equal(0, keys.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task UnknownIds_AwsCli_NotFoundException()
    {
        var resources = await fixture.AwsErrorAsync("get-resources", "--rest-api-id", "nosuchapi");
        var key = await fixture.AwsErrorAsync("update-api-key", "--api-key", "nosuchkey", "--patch-operations", "op=replace,path=/enabled,value=false");

        Assert.Contains("(NotFoundException)", resources, StringComparison.Ordinal);
        Assert.Contains("nosuchapi", resources, StringComparison.Ordinal);
        Assert.Contains("(NotFoundException)", key, StringComparison.Ordinal);
        Assert.Contains("nosuchkey", key, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutRestApi_InvalidDocument_ListsEveryProblemAndKeepsTheStoredApi()
    {
        var api = await fixture.AwsJsonAsync("import-rest-api", "--body", fixture.FileArgument(Documents.Hello("kept")));
        var apiId = api.GetProperty("id").GetString()!;

        var error = await fixture.AwsErrorAsync("put-rest-api", "--rest-api-id", apiId, "--mode", "overwrite", "--body", fixture.FileArgument(Documents.Broken));

        Assert.Contains("(BadRequestException)", error, StringComparison.Ordinal);
        Assert.Contains("/x-amazon-apigateway-api-key-source", error, StringComparison.Ordinal);
        Assert.Contains("/x-amazon-apigateway-gateway-responses/NOT_A_TYPE", error, StringComparison.Ordinal);
        Assert.Contains("/paths/~1a/get/x-amazon-apigateway-request-validator", error, StringComparison.Ordinal);
        var resources = await fixture.AwsJsonAsync("get-resources", "--rest-api-id", apiId);
        var hello = resources.GetProperty("items").EnumerateArray().Single(r => r.GetProperty("path").GetString() == "/hello");
        var method = await fixture.AwsJsonAsync("get-method", "--rest-api-id", apiId, "--resource-id", hello.GetProperty("id").GetString()!, "--http-method", "GET");
        Assert.Contains("kept", method.GetProperty("methodIntegration").GetProperty("integrationResponses").GetProperty("200").GetProperty("responseTemplates").GetProperty("application/json").GetString());
    }

    [Fact]
    public async Task UpdateApiKeyAndUsagePlan_BadPatchOperation_RefusedAndNothingChanged()
    {
        var key = await fixture.AwsJsonAsync("create-api-key", "--name", "patch-me", "--description", "before");
        var keyId = key.GetProperty("id").GetString()!;
        var plan = await fixture.AwsJsonAsync("create-usage-plan", "--name", "patch-plan", "--throttle", "burstLimit=5,rateLimit=10");
        var planId = plan.GetProperty("id").GetString()!;

        // The first operation is valid, the second not: neither is applied.
        var badPath = await fixture.AwsErrorAsync("update-api-key", "--api-key", keyId, "--patch-operations",
            "op=replace,path=/name,value=renamed", "op=replace,path=/value,value=abcdefghijklmnopqrstuvwxyz");
        var badPeriod = await fixture.AwsErrorAsync("update-usage-plan", "--usage-plan-id", planId, "--patch-operations",
            "op=replace,path=/name,value=renamed", "op=replace,path=/quota/period,value=YEAR");

        Assert.Contains("(BadRequestException)", badPath, StringComparison.Ordinal);
        Assert.Contains("Invalid patch path '/value'", badPath, StringComparison.Ordinal);
        Assert.Contains("(BadRequestException)", badPeriod, StringComparison.Ordinal);
        Assert.Contains("YEAR", badPeriod, StringComparison.Ordinal);
        var storedKey = await fixture.AwsJsonAsync("get-api-key", "--api-key", keyId);
        Assert.Equal(("patch-me", "before", false), (storedKey.GetProperty("name").GetString(), storedKey.GetProperty("description").GetString(), storedKey.GetProperty("enabled").GetBoolean()));
        var storedPlan = await fixture.AwsJsonAsync("get-usage-plan", "--usage-plan-id", planId);
        Assert.Equal("patch-plan", storedPlan.GetProperty("name").GetString());
        Assert.False(storedPlan.TryGetProperty("quota", out _));
    }

    [Fact]
    public async Task CreateApiKey_ShortValueOrUnsupportedMember_BadRequestNamingIt()
    {
        var shortValue = await fixture.AwsErrorAsync("create-api-key", "--name", "short", "--value", "tooshort");
        var tags = await fixture.AwsErrorAsync("create-api-key", "--name", "tagged", "--tags", "team=a");

        Assert.Contains("(BadRequestException)", shortValue, StringComparison.Ordinal);
        Assert.Contains("20 to 128", shortValue, StringComparison.Ordinal);
        Assert.Contains("(BadRequestException)", tags, StringComparison.Ordinal);
        Assert.Contains("'tags' is not supported", tags, StringComparison.Ordinal);
    }
}
