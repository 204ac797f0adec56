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
        var script = Path.Combine(PeerProcess.RepoRoot, "tests", "Sluice.Gateway.Tests", "Peers", "management_sdk.js");

        var observed = await PeerProcess.RunForJsonAsync("node",
            [script, "--endpoint", fixture.Endpoint, "--rest-url", fixture.Gateway.Http.BaseAddress!.ToString().TrimEnd('/'),
             "--access-key", ManagementApiFixture.AccessKeyId, "--secret-key", ManagementApiFixture.SecretAccessKey,
             "--document", document, "--petstore-host", fixture.PetStoreHost],
            "The JavaScript SDK scenario", TimeSpan.FromSeconds(120));

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
}
