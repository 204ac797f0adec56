using Google.Rpc;
using Grpc.Core;
using Sluice.Contracts;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Tests;

public sealed class SourceRpcTests : IAsyncLifetime
{
    private readonly TestDirectories _directories = new();
    private IngestionHost _host = null!;

    public async Task InitializeAsync() => _host = await IngestionHost.StartAsync(_directories);

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _directories.Dispose();
    }

    private const string OAuthYaml = """
        baseUrl: https://api.example.com/v2
        path: /items
        auth:
          type: oAuth2
          tokenUrl: https://auth.example.com/token
          clientId: sluice
          secret: test-client-secret
        pagination:
          type: pageNumber
          pageParam: page
          sizeParam: per_page
          pageSize: 50
        recordsPath: data
        schedule:
          cron: "*/5 * * * *"
        """;

    [Fact]
    public async Task CreateSource_Yaml_IsStoredAsJsonWithSecretNamesOnly()
    {
        var created = (await _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "orders", Definition = OAuthYaml })).Source;

        Assert.Equal("orders", created.Name);
        Assert.Equal(1, created.Version);
        Assert.Contains("\"secret\":\"test-client-secret\"", created.DefinitionJson);
        Assert.DoesNotContain(TestApiServer.ClientSecret, created.DefinitionJson);
        var fetched = (await _host.Client.GetSourceAsync(new GetSourceRequest { Name = "orders" })).Source;
        Assert.Equal(created.DefinitionJson, fetched.DefinitionJson);
    }

    [Fact]
    public async Task UpdateListDelete_Source_Lifecycle()
    {
        await _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "a-source", Definition = OAuthYaml });
        await _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "b-source", Definition = """{"baseUrl":"http://127.0.0.1:1","pagination":{"type":"none"}}""" });

        var updated = (await _host.Client.UpdateSourceAsync(new UpdateSourceRequest { Name = "a-source", Definition = "baseUrl: http://127.0.0.1:2\n" })).Source;
        Assert.Equal(2, updated.Version);
        Assert.Contains("127.0.0.1:2", updated.DefinitionJson);

        var first = await _host.Client.ListSourcesAsync(new ListSourcesRequest { PageSize = 1 });
        var second = await _host.Client.ListSourcesAsync(new ListSourcesRequest { PageSize = 1, PageToken = first.NextPageToken });
        Assert.Equal(["a-source", "b-source"], first.Sources.Concat(second.Sources).Select(s => s.Name));

        await _host.Client.DeleteSourceAsync(new DeleteSourceRequest { Name = "a-source" });
        var missing = await Assert.ThrowsAsync<RpcException>(() => _host.Client.GetSourceAsync(new GetSourceRequest { Name = "a-source" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        var taken = await Assert.ThrowsAsync<RpcException>(() => _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "b-source", Definition = OAuthYaml }).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, taken.StatusCode);
    }

    [Fact]
    public async Task CreateSource_InvalidDefinition_ListsEveryProblem()
    {
        const string bad = """
            baseUrl: ftp://example.com
            headers:
              Authorization: Bearer abc
            auth:
              type: bearer
              secret: not-configured
            pagination:
              type: cursor
              pageSize: 0
            retry:
              maxRetries: 99
            schedule:
              cron: "every tuesday"
            """;
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "Bad Name", Definition = bad }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var fields = error.GetDetail<BadRequest>()!.FieldViolations.Select(v => v.Field).ToList();
        Assert.Equal(
            ["name", "definition.baseUrl", "definition.headers.Authorization", "definition.auth.secret", "definition.pagination.pageSize",
             "definition.pagination.cursorParam", "definition.pagination", "definition.retry.maxRetries", "definition.schedule.cron"],
            fields);
        Assert.Contains("not-configured", error.GetDetail<BadRequest>()!.FieldViolations.Single(v => v.Field == "definition.auth.secret").Description);
    }

    [Fact]
    public async Task CreateSource_UnknownSettingOrBadYaml_NamesIt()
    {
        var unknown = await Assert.ThrowsAsync<RpcException>(() => _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "x", Definition = "baseUrl: http://a\nbaseURL: http://b\n" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.Contains("baseURL", unknown.Status.Detail);

        var yaml = await Assert.ThrowsAsync<RpcException>(() => _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "y", Definition = "baseUrl: [unclosed" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, yaml.StatusCode);
        Assert.Contains("YAML", yaml.Status.Detail);
    }

    [Fact]
    public async Task JobCalls_UnknownOrMalformed_AreRefusedClearly()
    {
        var unknownSource = await Assert.ThrowsAsync<RpcException>(() => _host.Client.StartIngestionAsync(new StartIngestionRequest { Source = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknownSource.StatusCode);
        var badId = await Assert.ThrowsAsync<RpcException>(() => _host.Client.GetJobAsync(new GetJobRequest { JobId = "42" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, badId.StatusCode);
        var unknownJob = await Assert.ThrowsAsync<RpcException>(() => _host.Client.CancelJobAsync(new CancelJobRequest { JobId = Guid.NewGuid().ToString() }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknownJob.StatusCode);
    }
}
