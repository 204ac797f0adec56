using System.Text.Json;

namespace Sluice.Gateway.Tests;

/// <summary>The AWS SDK for JavaScript v3 (@aws-sdk/client-api-gateway, Peers/management_sdk.js) against the management API.</summary>
public sealed class ManagementApiSdkTests(ManagementApiFixture fixture) : IClassFixture<ManagementApiFixture>
{
    [Fact]
    public async Task JavaScriptSdk_PetStoreWithKeyPlanAndUsage_AsWithAws()
    {
        var document = Path.Combine(fixture.Gateway.Root, "petstore-sdk.yaml");
        await File.WriteAllTextAsync(document, ManagementApiFixture.PetStoreWithKey);

        var observed = await RunAsync("petstore", document, "--rest-url", fixture.Gateway.Http.BaseAddress!.ToString().TrimEnd('/'), "--petstore-host", fixture.PetStoreHost);

        foreach (var step in new[] { "imported", "resources", "deployment", "stages", "key", "plan", "planKey", "usage", "planAfterBadPatch", "disabled", "testInvoke", "deleted" })
        {
            Assert.True(observed.GetProperty(step).TryGetProperty("ok", out _), $"{step}: {observed.GetProperty(step)}");
        }
        Assert.Equal("PetStore", observed.GetProperty("imported").GetProperty("name").GetString());
        var pets = observed.GetProperty("resources").GetProperty("items").EnumerateArray().Single(r => r.GetProperty("path").GetString() == "/pets");
        Assert.True(pets.GetProperty("resourceMethods").GetProperty("GET").GetProperty("apiKeyRequired").GetBoolean());
        Assert.Equal("sdk", Assert.Single(observed.GetProperty("stages").GetProperty("item").EnumerateArray()).GetProperty("stageName").GetString());
        Assert.Equal(observed.GetProperty("deployment").GetProperty("id").GetString(), observed.GetProperty("stages").GetProperty("item")[0].GetProperty("deploymentId").GetString());

        // Burst 1 at 0.1 requests/s: the calls pass until one is throttled; only those that passed count.
        var statuses = observed.GetProperty("statuses").EnumerateArray().Select(s => s.GetInt32()).ToList();
        Assert.Equal(429, statuses[^1]);
        Assert.All(statuses[..^1], s => Assert.Equal(200, s));
        var passed = statuses.Count - 1;
        Assert.True(passed >= 1, string.Join(",", statuses));
        var keyId = observed.GetProperty("key").GetProperty("id").GetString()!;
        var day = Assert.Single(observed.GetProperty("usage").GetProperty("items").GetProperty(keyId).EnumerateArray());
        Assert.Equal([passed, 50 - passed], day.EnumerateArray().Select(v => v.GetInt64()));

        var badPatch = observed.GetProperty("badPatch");
        Assert.Equal(("BadRequestException", 400), (badPatch.GetProperty("error").GetString(), badPatch.GetProperty("status").GetInt32()));
        Assert.Contains("/productCode", badPatch.GetProperty("message").GetString());
        Assert.Equal("sdk-plan", observed.GetProperty("planAfterBadPatch").GetProperty("name").GetString());
        Assert.False(observed.GetProperty("disabled").GetProperty("enabled").GetBoolean());
        Assert.Equal(403, observed.GetProperty("disabledStatus").GetInt32());

        var invoked = observed.GetProperty("testInvoke");
        Assert.Equal(200, invoked.GetProperty("status").GetInt32());
        var body = JsonDocument.Parse(invoked.GetProperty("body").GetString()!).RootElement;
        Assert.Equal("dog", body[0].GetProperty("class").GetString());
        Assert.Equal(249.99, body[0].GetProperty("salesPrice").GetDouble());

        Assert.Equal(("NotFoundException", 404), (observed.GetProperty("unknownApi").GetProperty("error").GetString(), observed.GetProperty("unknownApi").GetProperty("status").GetInt32()));
        Assert.Equal(("ForbiddenException", 403), (observed.GetProperty("wrongSecret").GetProperty("error").GetString(), observed.GetProperty("wrongSecret").GetProperty("status").GetInt32()));
        Assert.Equal("NotFoundException", observed.GetProperty("afterDelete").GetProperty("error").GetString());
    }

    [Fact]
    public async Task JavaScriptSdk_UnknownIdsBadBodiesAndBadPatches_TypedErrorsAndNothingChanged()
    {
        var document = Path.Combine(fixture.Gateway.Root, "hello-sdk.yaml");
        await File.WriteAllTextAsync(document, Documents.Hello());

        var observed = await RunAsync("refusals", document);

        foreach (var step in observed.GetProperty("setup").EnumerateObject())
        {
            Assert.True(step.Value.TryGetProperty("ok", out _), $"{step.Name}: {step.Value}");
        }
        foreach (var refusal in observed.GetProperty("notFound").EnumerateObject())
        {
            Assert.True(refusal.Value.TryGetProperty("error", out var error) && error.GetString() == "NotFoundException" && refusal.Value.GetProperty("status").GetInt32() == 404,
                $"{refusal.Name}: {refusal.Value}");
            Assert.Contains("nosuch", refusal.Value.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        var expected = new Dictionary<string, string>
        {
            ["notADocument"] = "Errors found during import",
            ["merge"] = "overwrite",
            ["keyType"] = "COGNITO",
            ["quotaPeriod"] = "YEAR",
            ["variablesWithoutStage"] = "give stageName too",
            ["usageDate"] = "startDate",
            ["limit"] = "'limit'",
            ["badEnabled"] = "/enabled",
            ["badRate"] = "rate must be positive",
        };
        var badRequests = observed.GetProperty("badRequest");
        Assert.Equal(expected.Keys.Order(), badRequests.EnumerateObject().Select(p => p.Name).Order());
        foreach (var (name, text) in expected)
        {
            var refusal = badRequests.GetProperty(name);
            Assert.True(refusal.TryGetProperty("error", out var error) && error.GetString() == "BadRequestException" && refusal.GetProperty("status").GetInt32() == 400, $"{name}: {refusal}");
            Assert.True(refusal.GetProperty("message").GetString()!.Contains(text, StringComparison.Ordinal), $"{name}: {refusal}");
        }
        var key = observed.GetProperty("keyAfterRefusals");
        Assert.Equal(("refusals-key", "before", false), (key.GetProperty("name").GetString(), key.GetProperty("description").GetString(), key.GetProperty("enabled").GetBoolean()));
        var plan = observed.GetProperty("planAfterRefusals");
        Assert.Equal(10, plan.GetProperty("throttle").GetProperty("rateLimit").GetDouble());
        Assert.False(plan.TryGetProperty("quota", out _));

        var updated = observed.GetProperty("keyUpdated");
        Assert.Equal(("patched", true), (updated.GetProperty("name").GetString(), updated.GetProperty("enabled").GetBoolean()));
        var updatedPlan = observed.GetProperty("planUpdated");
        Assert.Equal((500, "WEEK"), (updatedPlan.GetProperty("quota").GetProperty("limit").GetInt32(), updatedPlan.GetProperty("quota").GetProperty("period").GetString()));
        Assert.False(updatedPlan.TryGetProperty("throttle", out _));

        var pages = observed.GetProperty("pages").EnumerateArray().Select(p => p.EnumerateArray().Select(n => n.GetString()!).ToList()).ToList();
        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"paged-{i}"), pages.SelectMany(p => p).Order(StringComparer.Ordinal));

        var unsigned = observed.GetProperty("unsigned");
        Assert.Equal((401, "UnauthorizedException"), (unsigned.GetProperty("status").GetInt32(), unsigned.GetProperty("type").GetString()));
        Assert.Equal("Missing Authentication Token", unsigned.GetProperty("body").GetProperty("message").GetString());
    }

    private Task<JsonElement> RunAsync(string scenario, string document, params string[] extra) =>
        PeerProcess.RunForJsonAsync("node",
            [Path.Combine(PeerProcess.RepoRoot, "tests", "Sluice.Gateway.Tests", "Peers", "management_sdk.js"), "--scenario", scenario,
             "--endpoint", fixture.Endpoint, "--access-key", ManagementApiFixture.AccessKeyId, "--secret-key", ManagementApiFixture.SecretAccessKey,
             "--document", document, .. extra],
            $"The JavaScript SDK {scenario} scenario", TimeSpan.FromSeconds(120));
}
