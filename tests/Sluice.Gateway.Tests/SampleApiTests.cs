using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Gateway.Pipeline;
using Sluice.Gateway.V1;

namespace Sluice.Gateway.Tests;

/// <summary>
/// The all-in-one host's sample data API (samples/sales-api.yaml): GET /sales?min_amount= runs a
/// parameterized statement on the query service's demo table, behind the sample key and plan.
/// Also a grpc integration to the query service.
/// </summary>
public sealed class SampleApiTests : IAsyncLifetime
{
    private const string SampleKey = "sample-key-for-the-gateway-tests-0001";
    private HostUnderTest _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _host = await HostUnderTest.StartAsync(["--Sluice:Gateway:Sample:ApiKey=" + SampleKey]);
        _http = new HttpClient { BaseAddress = new Uri(_host.App.Services.GetRequiredService<GatewayRestEndpoint>().BaseAddress!), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Sales_WithKey_AnswersTheMatchingRowsAsAJsonArray()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sample/dev/sales?min_amount=1000");
        request.Headers.Add("x-api-key", SampleKey);
        using var all = new HttpRequestMessage(HttpMethod.Get, "/sample/dev/sales?min_amount=-1e300");
        all.Headers.Add("x-api-key", SampleKey);

        using var response = await _http.SendAsync(request);
        using var everything = await _http.SendAsync(all);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var rows = JsonDocument.Parse(text);
        using var allRows = JsonDocument.Parse(await everything.Content.ReadAsStringAsync());
        var amounts = rows.RootElement.EnumerateArray().Select(r => r.GetProperty("amount").GetDouble()).ToList();
        Assert.NotEmpty(amounts);
        Assert.All(amounts, a => Assert.True(a >= 1000));
        Assert.Equal(allRows.RootElement.EnumerateArray().Count(r => r.GetProperty("amount").GetDouble() >= 1000), amounts.Count);
        Assert.True(allRows.RootElement.GetArrayLength() > amounts.Count);
        Assert.All(rows.RootElement.EnumerateArray(), r => Assert.True(r.TryGetProperty("region", out _) && r.TryGetProperty("sold_at", out _)));
    }

    [Fact]
    public async Task Sales_AcceptingNdjson_StreamsOneRowPerLine()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sample/dev/sales?min_amount=1000");
        request.Headers.Add("x-api-key", SampleKey);
        request.Headers.Add("Accept", "application/x-ndjson");

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType!.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.True(JsonDocument.Parse(line).RootElement.GetProperty("amount").GetDouble() >= 1000));
    }

    [Fact]
    public async Task Sales_WithoutKeyOrParameter_AnswersApiGatewayErrors()
    {
        using var noKey = await _http.GetAsync("/sample/dev/sales?min_amount=1000");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sample/dev/sales");
        request.Headers.Add("x-api-key", SampleKey);
        using var noParameter = await _http.SendAsync(request);

        await PipelineTests.AssertError(noKey, 403, "Forbidden", "ForbiddenException");
        Assert.Equal(HttpStatusCode.BadRequest, noParameter.StatusCode);
        using var body = JsonDocument.Parse(await noParameter.Content.ReadAsStringAsync());
        Assert.Equal("Missing required request parameters: [min_amount]", body.RootElement.GetProperty("message").GetString());
        Assert.Equal("try /sales?min_amount=1000", body.RootElement.GetProperty("hint").GetString());
    }

    [Fact]
    public async Task Grpc_QueryServiceMethod_AnswersItsReplyAsJson()
    {
        var admin = new GatewayAdminService.GatewayAdminServiceClient(_host.ChannelTo("Gateway"));
        var api = await admin.ImportApiAsync(new ImportApiRequest { Document = """
            openapi: 3.0.1
            info: { title: Grpc, version: "1" }
            paths:
              /databases:
                get:
                  x-amazon-apigateway-integration:
                    type: grpc
                    uri: grpc://query/sluice.query.v1.QueryService/ListDatabases
                    requestTemplates:
                      application/json: '{"database": "dev", "maxResults": 10}'
              /statements/{id}:
                get:
                  x-amazon-apigateway-integration:
                    type: grpc
                    uri: grpc://query/sluice.query.v1.QueryService/DescribeStatement
                    requestTemplates:
                      application/json: '{"id": "$input.params(''id'')"}'
                    responses:
                      default: { statusCode: "200" }
                      "NOT_FOUND.*":
                        statusCode: "404"
                        responseTemplates:
                          application/json: '{"message": "no statement $input.params(''id'')"}'
            """ }, deadline: HostUnderTest.Deadline);
        await admin.CreateDeploymentAsync(new CreateDeploymentRequest { ApiId = api.Api.Id, StageName = "dev" }, deadline: HostUnderTest.Deadline);

        using var databases = await _http.GetAsync($"/{api.Api.Id}/dev/databases");
        using var missing = await _http.GetAsync($"/{api.Api.Id}/dev/statements/{Guid.NewGuid()}");

        var text = await databases.Content.ReadAsStringAsync();
        Assert.True(databases.StatusCode == HttpStatusCode.OK, text);
        using var json = JsonDocument.Parse(text);
        Assert.Contains("dev", json.RootElement.GetProperty("databases").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.StartsWith("{\"message\": \"no statement ", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
