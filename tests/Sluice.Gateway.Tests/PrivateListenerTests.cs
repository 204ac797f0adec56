using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Gateway.Pipeline;

namespace Sluice.Gateway.Tests;

/// <summary>The private listener's resource policy, through a real loopback connection (source 127.0.0.1).</summary>
public sealed class PrivateListenerTests
{
    private static async Task<(HttpStatusCode Status, string Body)> GetPrivateAsync(GatewayUnderTest gateway, string path, string? apiIdHeader = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri(gateway.App.Services.GetRequiredService<GatewayRestEndpoint>().PrivateBaseAddress!) };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (apiIdHeader is not null)
        {
            request.Headers.Add("x-apigw-api-id", apiIdHeader);
        }
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SourceAllowed_IsServed_AndTheHeaderChecked()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(settings:
            ["--Sluice:Gateway:Private:Port=0", "--Sluice:Gateway:Private:AllowCidrs:0=127.0.0.0/8", "--Sluice:Gateway:Private:RequireApiIdHeader=true"]);
        var api = await gateway.DeployAsync(Documents.Hello(), "v1", new Dictionary<string, string> { ["who"] = "inside" });

        var served = await GetPrivateAsync(gateway, $"/{api}/v1/hello", api);
        var wrongApi = await GetPrivateAsync(gateway, $"/{api}/v1/hello", "other");

        Assert.Equal((HttpStatusCode.OK, """{"say": "hello inside"}"""), served);
        Assert.Equal(HttpStatusCode.Forbidden, wrongApi.Status);
        Assert.Contains("is not authorized to perform: execute-api:Invoke", wrongApi.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Sluice:Gateway:Private:DenyCidrs:0=127.0.0.1/32")]
    [InlineData("--Sluice:Gateway:Private:AllowCidrs:0=10.0.0.0/8")]
    public async Task SourceDeniedOrNotAllowed_Answers403(string setting)
    {
        await using var gateway = await GatewayUnderTest.StartAsync(settings: ["--Sluice:Gateway:Private:Port=0", setting]);
        var api = await gateway.DeployAsync(Documents.Hello(), "v1");

        var denied = await GetPrivateAsync(gateway, $"/{api}/v1/hello");
        using var publicResponse = await gateway.SendAsync(HttpMethod.Get, $"/{api}/v1/hello");

        Assert.Equal(HttpStatusCode.Forbidden, denied.Status);
        Assert.StartsWith("{\"message\":\"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:", denied.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, publicResponse.StatusCode);
    }
}
