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

/// <summary>The http and http_proxy integrations against a real HTTP backend on loopback.</summary>
public sealed class HttpIntegrationTests : IAsyncLifetime
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication _backend = null!;
    private GatewayUnderTest _gateway = null!;
    private string _api = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _backend = builder.Build();
        _backend.MapPost("/echo/{id}", async (HttpContext http, string id) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            return Results.Json(new { id, source = http.Request.Query["source"].ToString(), stage = http.Request.Headers["x-stage"].ToString(), body = JsonDocument.Parse(body).RootElement });
        });
        // Holds the request until the test ends (or the gateway gives up on it).
        _backend.MapGet("/slow", async (HttpContext http) => await _release.Task.WaitAsync(http.RequestAborted));
        _backend.Map("/{**rest}", async (HttpContext http, string rest) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            http.Response.StatusCode = 207;
            http.Response.Headers["x-backend"] = "yes";
            await http.Response.WriteAsJsonAsync(new { method = http.Request.Method, rest, query = http.Request.QueryString.Value, key = http.Request.Headers["x-api-key"].ToString(), body = await reader.ReadToEndAsync() });
        });
        await _backend.StartAsync();
        var address = _backend.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _gateway = await GatewayUnderTest.StartAsync();
        _api = await _gateway.DeployAsync(Documents.Http(address), "live", new Dictionary<string, string> { ["env"] = "staging" });
    }

    public async Task DisposeAsync()
    {
        _release.TrySetResult();
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task Http_MapsParametersAndTemplatesBothWays()
    {
        using var response = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/live/orders/o-7?verbose=yes");

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(text);
        Assert.Equal("ok", json.RootElement.GetProperty("status").GetString());
        var backend = json.RootElement.GetProperty("backend");
        Assert.Equal("o-7", backend.GetProperty("id").GetString());
        Assert.Equal("gateway", backend.GetProperty("source").GetString());
        Assert.Equal("staging", backend.GetProperty("stage").GetString());
        Assert.Equal("o-7", backend.GetProperty("body").GetProperty("order").GetString());
        Assert.Equal("yes", backend.GetProperty("body").GetProperty("verbose").GetString());
    }

    [Fact]
    public async Task HttpProxy_ForwardsTheRequestAndTheResponseUnchanged()
    {
        using var response = await _gateway.SendAsync(HttpMethod.Put, $"/{_api}/live/proxy/a/b?x=1&x=2", key: "passed-along-not-checked", body: "raw text", contentType: "text/plain");

        Assert.Equal((HttpStatusCode)207, response.StatusCode);
        Assert.Equal("yes", response.Headers.GetValues("x-backend").Single());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("PUT", json.RootElement.GetProperty("method").GetString());
        Assert.Equal("a/b", json.RootElement.GetProperty("rest").GetString());
        Assert.Equal("?x=1&x=2", json.RootElement.GetProperty("query").GetString());
        Assert.Equal("raw text", json.RootElement.GetProperty("body").GetString());
    }

    [Fact]
    public async Task Http_BackendSlowerThanTheTimeout_Answers504()
    {
        using var response = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/live/slow");

        await PipelineTests.AssertError(response, 504, "Endpoint request timed out", "InternalServerErrorException");
    }
}
