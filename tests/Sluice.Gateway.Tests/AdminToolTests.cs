using System.Text.Json;
using Sluice.Gateway.V1;

namespace Sluice.Gateway.Tests;

/// <summary>
/// RenderTemplate and TestInvokeMethod. The templates and expected outputs are the examples of
/// AWS's mapping template reference ($input, $util, $context overrides).
/// </summary>
public sealed class AdminToolTests : IAsyncLifetime
{
    private GatewayUnderTest _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayUnderTest.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private Task<RenderTemplateResponse> RenderAsync(RenderTemplateRequest request) =>
        _gateway.Admin.RenderTemplateAsync(request, deadline: GatewayUnderTest.Deadline).ResponseAsync;

    [Fact]
    public async Task RenderTemplate_InputJsonAndPath_AsTheReferenceShows()
    {
        // The reference's $input example: {"name": "Alice", "things": {...}}.
        var body = """{"things": {"1d8b4c2e": {"name": "Alice"}, "a6t36g2v": {"name": "Bob"}}, "message": "Hello"}""";
        var response = await RenderAsync(new RenderTemplateRequest
        {
            Template = """
                #set($inputRoot = $input.path('$'))
                {
                  "message": "$inputRoot.message",
                  "things": $input.json('$.things'),
                  "count": $inputRoot.things.size(),
                  "names": [#foreach($key in $inputRoot.things.keySet())"$inputRoot.things.get($key).name"#if($foreach.hasNext), #end#end]
                }
                """,
            Body = body,
        });

        Assert.Null(response.Error);
        using var output = JsonDocument.Parse(response.Output);
        Assert.Equal("Hello", output.RootElement.GetProperty("message").GetString());
        Assert.Equal(2, output.RootElement.GetProperty("count").GetInt32());
        Assert.Equal("Bob", output.RootElement.GetProperty("things").GetProperty("a6t36g2v").GetProperty("name").GetString());
        Assert.Equal(["Alice", "Bob"], output.RootElement.GetProperty("names").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task RenderTemplate_ParamsLookInPathThenQueryThenHeaders()
    {
        var response = await RenderAsync(new RenderTemplateRequest
        {
            Template = "$input.params('id') $input.params('q') $input.params('h') [$input.params('none')] #foreach($type in $input.params().keySet())$type #end",
            PathParameters = { ["id"] = "from-path" },
            QueryParameters = { ["id"] = "from-query", ["q"] = "query" },
            Headers = { ["h"] = "header", ["q"] = "from-header" },
        });

        Assert.Equal("from-path query header [] path querystring header ", response.Output);
    }

    [Fact]
    public async Task RenderTemplate_UtilFunctions()
    {
        var response = await RenderAsync(new RenderTemplateRequest
        {
            Body = """{"s": "It's \"quoted\"/ok"}""",
            Template = """$util.escapeJavaScript($input.path('$.s')) | $util.urlEncode('a b&c=d/é') | $util.urlDecode('a+b%26c') | $util.base64Encode('hello') | $util.base64Decode('aGVsbG8=') | $util.parseJson('{"a":[1,2]}').a.get(1)""",
        });

        Assert.Null(response.Error);
        Assert.Equal("""It\'s \"quoted\"\/ok | a+b%26c%3Dd%2F%C3%A9 | a b&c | aGVsbG8= | hello | 2""", response.Output);
    }

    [Fact]
    public async Task RenderTemplate_OverridesAndContextAndStageVariables_AreReturned()
    {
        var response = await RenderAsync(new RenderTemplateRequest
        {
            Template = """
                #set($context.requestOverride.header.x-forwarded = "yes")
                #set($context.requestOverride.querystring.page = "2")
                #set($context.responseOverride.status = 418)
                #set($context.responseOverride.header.x-teapot = "short and stout")
                $context.stage/$context.identity.sourceIp/$stageVariables.env
                """,
            StageVariables = { ["env"] = "beta" },
            Context = { ["stage"] = "prod", ["identity.sourceIp"] = "10.1.2.3" },
        });

        Assert.Equal("prod/10.1.2.3/beta", response.Output.Trim());
        Assert.Equal("yes", response.RequestOverrideHeaders["x-forwarded"]);
        Assert.Equal("2", response.RequestOverrideQuerystring["page"]);
        Assert.Equal(418, response.ResponseOverrideStatus);
        Assert.Equal("short and stout", response.ResponseOverrideHeaders["x-teapot"]);
    }

    [Fact]
    public async Task RenderTemplate_BadTemplate_AnswersTheErrorWithLineAndColumn()
    {
        var response = await RenderAsync(new RenderTemplateRequest { Template = "line one\n#if($a\nmore" });

        Assert.NotNull(response.Error);
        Assert.InRange(response.Error.Line, 2, 3);
        Assert.NotEmpty(response.Error.Message);
        Assert.True(response.Error.Column > 0);
        Assert.Equal("", response.Output);
    }

    [Fact]
    public async Task TestInvokeMethod_RunsTheMethodWithoutAKey_AndLogsTheIntegrationRequest()
    {
        var api = await _gateway.DeployAsync(Documents.Pets, "prod", new Dictionary<string, string> { ["color"] = "blue" });

        var response = await _gateway.Admin.TestInvokeMethodAsync(new TestInvokeMethodRequest
        {
            ApiId = api,
            Stage = "prod",
            HttpMethod = "POST",
            PathWithQueryString = "/pets",
            Headers = { ["Content-Type"] = "application/json" },
            Body = """{"name": "missing", "category": {"name": "dog"}}""",
        }, deadline: GatewayUnderTest.Deadline);
        var get = await _gateway.Admin.TestInvokeMethodAsync(new TestInvokeMethodRequest
        {
            ApiId = api,
            Stage = "prod",
            HttpMethod = "GET",
            PathWithQueryString = "/pets?type=bird",
            Headers = { ["x-tenant"] = "t1" },
            StageVariables = { ["color"] = "green" },
        }, deadline: GatewayUnderTest.Deadline);

        Assert.Equal(404, response.Status);
        Assert.Equal("""{"message": "no such pet"}""", response.Body);
        var integrationRequest = response.Log[response.Log.IndexOf("Endpoint request body after transformations:", StringComparison.Ordinal)..];
        Assert.Contains("{\"statusCode\": 404}", integrationRequest, StringComparison.Ordinal);
        Assert.Contains("Method completed with status: 404", response.Log, StringComparison.Ordinal);
        Assert.True(response.LatencyMs >= 0);
        Assert.Equal(200, get.Status);
        Assert.Equal("green", get.Headers["x-stage"]);
        Assert.Contains("\"type\": \"bird\"", get.Body, StringComparison.Ordinal);
    }
}
