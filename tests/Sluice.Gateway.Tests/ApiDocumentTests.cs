using Grpc.Core;
using Sluice.Contracts;
using Sluice.Gateway.V1;

namespace Sluice.Gateway.Tests;

/// <summary>Importing, replacing and deploying API documents through the admin service.</summary>
public sealed class ApiDocumentTests
{
    [Fact]
    public async Task ImportApi_BrokenDocument_ListsEveryProblemWithItsPath()
    {
        await using var gateway = await GatewayUnderTest.StartAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Admin.ImportApiAsync(new ImportApiRequest { Document = Documents.Broken }, deadline: GatewayUnderTest.Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violations = error.GetDetail<Google.Rpc.BadRequest>()!.FieldViolations.ToDictionary(v => v.Field, v => v.Description);
        Assert.Contains("COOKIE", violations["/x-amazon-apigateway-api-key-source"]);
        Assert.Contains("NOT_A_TYPE", violations["/x-amazon-apigateway-gateway-responses/NOT_A_TYPE"]);
        Assert.Contains("nope", violations["/paths/~1a/get/x-amazon-apigateway-request-validator"]);
        Assert.Contains("lambda", violations["/paths/~1a/get/x-amazon-apigateway-integration/type"]);
        Assert.Contains("50 to 29000", violations["/paths/~1a/get/x-amazon-apigateway-integration/timeoutInMillis"]);
        Assert.Contains("sometimes", violations["/paths/~1b/post/x-amazon-apigateway-integration/passthroughBehavior"]);
        Assert.Contains("line 1", violations["/paths/~1b/post/x-amazon-apigateway-integration/requestTemplates/application~1json"]);
        Assert.Contains("regular expression", violations["/paths/~1b/post/x-amazon-apigateway-integration/responses/[unclosed"]);
        Assert.Contains("abc", violations["/paths/~1b/post/x-amazon-apigateway-integration/responses/[unclosed/statusCode"]);
        Assert.Contains("x-amazon-apigateway-integration", violations["/paths/~1c/get"]);
        Assert.Contains(violations, v => v.Key.StartsWith("/components/schemas/Bad", StringComparison.Ordinal));
        Assert.Empty((await gateway.Admin.ListApisAsync(new ListApisRequest(), deadline: GatewayUnderTest.Deadline)).Apis);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{ not json")]
    [InlineData("swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}")]
    public async Task ImportApi_NotAnOpenApi3Document_IsInvalidArgument(string document)
    {
        await using var gateway = await GatewayUnderTest.StartAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Admin.ImportApiAsync(new ImportApiRequest { Document = document }, deadline: GatewayUnderTest.Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.NotEmpty(error.GetDetail<Google.Rpc.BadRequest>()!.FieldViolations);
    }

    [Fact]
    public async Task PutApi_RejectedDocument_LeavesStoredApiAndStageUnchanged()
    {
        await using var gateway = await GatewayUnderTest.StartAsync();
        var apiId = await gateway.DeployAsync(Documents.Hello("hello"), "v1", new Dictionary<string, string> { ["who"] = "world" });

        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Admin.PutApiAsync(new PutApiRequest { ApiId = apiId, Document = Documents.Broken }, deadline: GatewayUnderTest.Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var api = Assert.Single((await gateway.Admin.ListApisAsync(new ListApisRequest(), deadline: GatewayUnderTest.Deadline)).Apis);
        Assert.Equal(("Hello", "2"), (api.Name, api.Version));
        using var response = await gateway.SendAsync(HttpMethod.Get, $"/{apiId}/v1/hello");
        Assert.Equal("""{"say": "hello world"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CreateDeployment_NewDocument_ServesItOnlyAfterRedeploying()
    {
        await using var gateway = await GatewayUnderTest.StartAsync();
        var apiId = await gateway.DeployAsync(Documents.Hello("hello"), "v1", new Dictionary<string, string> { ["who"] = "world" });

        await gateway.Admin.PutApiAsync(new PutApiRequest { ApiId = apiId, Document = Documents.Hello("bonjour") }, deadline: GatewayUnderTest.Deadline);
        using var before = await gateway.SendAsync(HttpMethod.Get, $"/{apiId}/v1/hello");
        await gateway.Admin.CreateDeploymentAsync(new CreateDeploymentRequest { ApiId = apiId, StageName = "v1", Variables = { ["who"] = "monde" } }, deadline: GatewayUnderTest.Deadline);
        using var after = await gateway.SendAsync(HttpMethod.Get, $"/{apiId}/v1/hello");

        Assert.Equal("""{"say": "hello world"}""", await before.Content.ReadAsStringAsync());
        Assert.Equal("""{"say": "bonjour monde"}""", await after.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task State_AfterRestart_KeepsApisStagesKeysAndPlans()
    {
        var root = Path.Combine(Path.GetTempPath(), "sluice-gateway-tests", Guid.NewGuid().ToString("N"));
        try
        {
            string apiId, key;
            await using (var first = await GatewayUnderTest.StartAsync(root: root))
            {
                apiId = await first.DeployAsync(Documents.Metered);
                key = (await first.KeyInPlanAsync(apiId)).Value;
            }
            await using var second = await GatewayUnderTest.StartAsync(root: root);

            using var response = await second.SendAsync(HttpMethod.Get, $"/{apiId}/test/items", key);

            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            // Only a hash of the key is stored.
            foreach (var file in Directory.GetFiles(root, "gateway.db*"))
            {
                Assert.DoesNotContain(key, System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)), StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
