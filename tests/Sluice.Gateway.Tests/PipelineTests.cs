using System.Net;
using System.Text.Json;
using Sluice.Gateway.V1;

namespace Sluice.Gateway.Tests;

/// <summary>API Gateway's answers, in its order, through the REST listener (mock integrations).</summary>
public sealed class PipelineTests : IAsyncLifetime
{
    private GatewayUnderTest _gateway = null!;
    private string _api = "";
    private string _key = "";
    private string _keyId = "";

    public async Task InitializeAsync()
    {
        _gateway = await GatewayUnderTest.StartAsync();
        _api = await _gateway.DeployAsync(Documents.Pets, "prod", new Dictionary<string, string> { ["color"] = "blue" });
        (_, _keyId, _key) = await _gateway.KeyInPlanAsync(_api, "prod");
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private static readonly Dictionary<string, string> Tenant = new() { ["x-tenant"] = "acme" };

    [Theory]
    [InlineData("/nope/prod/pets")]
    [InlineData("/{api}/nostage/pets")]
    [InlineData("/{api}/prod/unknown")]
    [InlineData("/")]
    public async Task UnknownRoute_Answers403MissingAuthenticationToken(string path)
    {
        using var response = await _gateway.SendAsync(HttpMethod.Get, path.Replace("{api}", _api, StringComparison.Ordinal));

        await AssertError(response, 403, "Missing Authentication Token", "MissingAuthenticationTokenException");
    }

    [Fact]
    public async Task WrongMethod_Answers403MissingAuthenticationToken()
    {
        using var response = await _gateway.SendAsync(HttpMethod.Delete, $"/{_api}/prod/pets");

        await AssertError(response, 403, "Missing Authentication Token", "MissingAuthenticationTokenException");
    }

    [Fact]
    public async Task Key_MissingUnknownOrDisabled_Answers403Forbidden()
    {
        using var missing = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/prod/pets?type=dog", headers: Tenant);
        using var unknown = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/prod/pets?type=dog", key: "not-a-key-of-this-gateway-at-all", headers: Tenant);
        await _gateway.Admin.UpdateApiKeyAsync(new UpdateApiKeyRequest { Id = _keyId, Enabled = false }, deadline: GatewayUnderTest.Deadline);
        using var disabled = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/prod/pets?type=dog", key: _key, headers: Tenant);
        await _gateway.Admin.UpdateApiKeyAsync(new UpdateApiKeyRequest { Id = _keyId, Enabled = true }, deadline: GatewayUnderTest.Deadline);
        using var enabled = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/prod/pets?type=dog", key: _key, headers: Tenant);

        await AssertError(missing, 403, "Forbidden", "ForbiddenException");
        await AssertError(unknown, 403, "Forbidden", "ForbiddenException");
        await AssertError(disabled, 403, "Forbidden", "ForbiddenException");
        Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
    }

    [Fact]
    public async Task RequiredParameters_MissingOrBlank_Answers400NamingThem()
    {
        using var both = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/prod/pets", _key);
        using var blank = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/prod/pets?type=%20", _key, headers: Tenant);

        await AssertError(both, 400, "Missing required request parameters: [type, x-tenant]", "BadRequestException");
        await AssertError(blank, 400, "Missing required request parameters: [type]", "BadRequestException");
    }

    [Fact]
    public async Task ResponseTemplate_SeesParamsContextStageVariablesAndKey()
    {
        using var response = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/prod/pets?type=cat", _key, headers: Tenant);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("blue", response.Headers.GetValues("x-stage").Single());
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("cat", body.RootElement.GetProperty("type").GetString());
        Assert.Equal("acme", body.RootElement.GetProperty("tenant").GetString());
        Assert.Equal("prod", body.RootElement.GetProperty("stage").GetString());
        Assert.Equal("blue", body.RootElement.GetProperty("color").GetString());
        Assert.Equal(_keyId, body.RootElement.GetProperty("keyId").GetString());
        Assert.Equal("/pets", body.RootElement.GetProperty("path").GetString());
    }

    [Fact]
    public async Task ResponseTemplate_ChosenByAcceptMimeType()
    {
        using var response = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/prod/pets?type=cat", _key,
            headers: new Dictionary<string, string>(Tenant) { ["Accept"] = "application/xml; q=0.9, text/html" });

        Assert.Equal("application/xml", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("<pets type=\"cat\"/>", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Body_ValidAgainstModelWithRef_SelectsResponseByMockStatus()
    {
        using var created = await _gateway.SendAsync(HttpMethod.Post, $"/{_api}/prod/pets", body: """{"name": "Rex", "category": {"name": "dog"}}""", contentType: "application/json; charset=utf-8");
        using var missing = await _gateway.SendAsync(HttpMethod.Post, $"/{_api}/prod/pets", body: """{"name": "missing", "category": {"name": "dog"}}""");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("""{"created": true, "stage": "prod"}""", await created.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("""{"message": "no such pet"}""", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Body_InvalidAgainstModel_AnswersTheGatewayResponseWithTheValidationError()
    {
        using var response = await _gateway.SendAsync(HttpMethod.Post, $"/{_api}/prod/pets", body: """{"name": "Rex", "category": {"name": ""}, "price": -1}""");

        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        Assert.Equal("body", response.Headers.GetValues("x-problem").Single());
        Assert.Equal("BadRequestException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Invalid request body", body.RootElement.GetProperty("error").GetString());
        Assert.Equal("BAD_REQUEST_BODY", body.RootElement.GetProperty("type").GetString());
        var detail = body.RootElement.GetProperty("detail").GetString()!;
        Assert.Contains("/category/name", detail, StringComparison.Ordinal);
        Assert.Contains("/price", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Body_NoTemplateForContentTypeUnderNever_Answers415()
    {
        using var response = await _gateway.SendAsync(HttpMethod.Post, $"/{_api}/prod/pets", body: "name=Rex", contentType: "text/plain");

        await AssertError(response, 415, "Unsupported Media Type", "UnsupportedMediaTypeException");
    }

    [Fact]
    public async Task Body_Over10MB_Answers413()
    {
        var big = "\"" + new string('a', 10 * 1024 * 1024) + "\"";

        using var response = await _gateway.SendAsync(HttpMethod.Post, $"/{_api}/prod/pets", body: big);

        await AssertError(response, 413, "Request Too Long", "RequestTooLongException");
    }

    [Fact]
    public async Task ResponseOverride_SetsStatusAndHeader()
    {
        using var response = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/prod/pets/p-42");

        Assert.Equal((HttpStatusCode)299, response.StatusCode);
        Assert.Equal("p-42", response.Headers.GetValues("x-pet").Single());
        Assert.Equal("""{"id": "p-42", "n": 3}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Template_BreakingItsLimits_Answers500()
    {
        using var response = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/prod/loop");

        await AssertError(response, 500, "Internal server error", "InternalServerErrorException");
    }

    internal static async Task AssertError(HttpResponseMessage response, int status, string message, string errorType)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal(errorType, response.Headers.GetValues("x-amzn-ErrorType").Single());
        using var json = JsonDocument.Parse(body);
        Assert.Equal(message, json.RootElement.GetProperty("message").GetString());
    }
}
