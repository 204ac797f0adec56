using System.Net;
using System.Text.Json;

namespace Sluice.Gateway.Tests;

/// <summary>How the gateway reads a request's query string into $input.params, for the forms a client can send.</summary>
public sealed class QueryStringTests : IAsyncLifetime
{
    private const string Echo = """
        openapi: 3.0.1
        info: { title: Echo, version: "1" }
        paths:
          /echo:
            get:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: '{"statusCode": 200}'
                responses:
                  default:
                    statusCode: "200"
                    responseTemplates:
                      application/json: '{"a": "$input.params(''a'')", "b": "$input.params(''b'')", "empty": "$input.params(''empty'')", "flag": "$input.params().querystring.containsKey(''flag'')", "missing": "$input.params(''missing'')", "count": $input.params().querystring.size()}'
        """;

    private GatewayUnderTest _gateway = null!;
    private string _api = "";

    public async Task InitializeAsync()
    {
        _gateway = await GatewayUnderTest.StartAsync();
        _api = await _gateway.DeployAsync(Echo);
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Params_RepeatedEncodedEmptyAndBareNames_ReadAsApiGatewayReadsThem()
    {
        // A repeated name keeps its last value in the single-value view; %XX and '+' are decoded; a
        // name without '=' is present with an empty value.
        using var response = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/test/echo?a=1&a=2&b=x%20y+z%26&empty=&flag");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var body = JsonDocument.Parse(text);
        var root = body.RootElement;
        Assert.Equal("2", root.GetProperty("a").GetString());
        Assert.Equal("x y z&", root.GetProperty("b").GetString());
        Assert.Equal("", root.GetProperty("empty").GetString());
        Assert.Equal("true", root.GetProperty("flag").GetString());
        Assert.Equal("", root.GetProperty("missing").GetString());
        Assert.Equal(4, root.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Params_NoQueryString_NothingReadAndTheRouteStillAnswers()
    {
        using var response = await _gateway.SendAsync(HttpMethod.Get, $"/{_api}/test/echo");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var body = JsonDocument.Parse(text);
        Assert.Equal("", body.RootElement.GetProperty("a").GetString());
        Assert.Equal(0, body.RootElement.GetProperty("count").GetInt32());
    }
}
