using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Gateway.Tests;

/// <summary>
/// AWS's PetStore example (samples/petstore.yaml) imported and served, its backend a local
/// server in the shape of petstore-demo-endpoint.execute-api.com, reached through the stage
/// variable petstoreHost. The mapping templates are the developer guide's examples.
/// </summary>
public sealed class PetStoreTests : IAsyncLifetime
{
    private static readonly object[] Pets =
    [
        new { id = 1, type = "dog", price = 249.99 },
        new { id = 2, type = "cat", price = 124.99 },
        new { id = 3, type = "fish", price = 0.99 },
    ];

    private WebApplication _backend = null!;
    private GatewayUnderTest _gateway = null!;
    private string _api = "";
    private string? _lastPost;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _backend = builder.Build();
        _backend.MapGet("/petstore/pets", (string? type, string? page) =>
            Results.Json(Pets.Where(p => type is null || JsonSerializer.SerializeToElement(p).GetProperty("type").GetString() == type)));
        _backend.MapGet("/petstore/pets/{id:int}", (int id) => id is >= 1 and <= 3 ? Results.Json(Pets[id - 1]) : Results.NotFound());
        _backend.MapPost("/petstore/pets", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            _lastPost = await reader.ReadToEndAsync();
            return Results.Json(new { pet = JsonDocument.Parse(_lastPost).RootElement, message = "success" });
        });
        await _backend.StartAsync();
        var address = new Uri(_backend.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        _gateway = await GatewayUnderTest.StartAsync();
        var document = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", "petstore.yaml"));
        _api = await _gateway.DeployAsync(document, "test", new Dictionary<string, string> { ["petstoreHost"] = address.Authority });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task Root_ServesTheMockHtmlPage()
    {
        using var response = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/test/", headers: new Dictionary<string, string> { ["Accept"] = "text/html" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<h1>Welcome to your Pet Store API</h1>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListPets_OutputMappingTemplate_RenamesTheFields()
    {
        using var response = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/test/pets");

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        // The developer guide's expected output, whitespace aside.
        Assert.Equal(
            """[{"number":1,"class":"dog","salesPrice":249.99},{"number":2,"class":"cat","salesPrice":124.99},{"number":3,"class":"fish","salesPrice":0.99}]""",
            JsonSerializer.Serialize(JsonDocument.Parse(text).RootElement));
    }

    [Fact]
    public async Task ListPets_QueryParametersMappedToTheBackend()
    {
        using var response = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/test/pets?type=cat&page=1");

        Assert.Equal("""[{"number":2,"class":"cat","salesPrice":124.99}]""", JsonSerializer.Serialize(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement));
    }

    [Fact]
    public async Task GetPet_PathParameterMapped_AndBackend404Selected()
    {
        using var found = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/test/pets/2");
        using var missing = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/test/pets/9");

        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal("""{"id":2,"type":"cat","price":124.99}""", await found.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("""{"message": "No pet 9"}""", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CreatePet_ValidBody_PassesThrough_InvalidBodyRejectedBeforeTheBackend()
    {
        using var created = await _gateway.SendAsync(HttpMethod.Post, $"/{_api}/test/pets", body: """{"type": "dog", "price": 249.99}""");
        _lastPost = null;
        using var cheap = await _gateway.SendAsync(HttpMethod.Post, $"/{_api}/test/pets", body: """{"type": "dog", "price": 2}""");
        using var unknownType = await _gateway.SendAsync(HttpMethod.Post, $"/{_api}/test/pets", body: """{"type": "dragon", "price": 100}""");

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal("""{"pet":{"type":"dog","price":249.99},"message":"success"}""", await created.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, cheap.StatusCode);
        using var cheapBody = JsonDocument.Parse(await cheap.Content.ReadAsStringAsync());
        Assert.Equal("Invalid request body", cheapBody.RootElement.GetProperty("message").GetString());
        Assert.Contains("/price", cheapBody.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, unknownType.StatusCode);
        Assert.Null(_lastPost);
    }

    [Fact]
    public async Task Validation_RequiredQueryParameter_AndRequestTemplateReshapesTheBody()
    {
        using var noQuery = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/test/validation");
        using var withQuery = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/test/validation?q1=fish");
        using var posted = await _gateway.SendAsync(HttpMethod.Post, $"/{_api}/test/validation", body: """{"type": "cat", "price": 30}""",
            headers: new Dictionary<string, string> { ["User-Agent"] = "tests/1.0 \"quoted\"" });

        await PipelineTests.AssertError(noQuery, 400, "Missing required request parameters: [q1]", "BadRequestException");
        Assert.Equal("""[{"id":3,"type":"fish","price":0.99}]""", await withQuery.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        using var sent = JsonDocument.Parse(_lastPost!);
        Assert.Equal("cat", sent.RootElement.GetProperty("type").GetString());
        Assert.Equal(30, sent.RootElement.GetProperty("price").GetInt32());
        Assert.Equal("tests/1.0 \"quoted\"", sent.RootElement.GetProperty("source").GetString());
        Assert.Equal("test", sent.RootElement.GetProperty("stage").GetString());
    }
}
