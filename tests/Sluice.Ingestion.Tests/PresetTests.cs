using System.Text.Json;
using Sluice.Ingestion.V1;
using YamlDotNet.RepresentationModel;

namespace Sluice.Ingestion.Tests;

/// <summary>
/// The example sources in samples/sources, each created as shipped (so the service checks it)
/// with only its address, and what a local imitation needs, changed: GitHub-style Link paging
/// against json-server, Stripe-style cursors and Zendesk-style incremental export against the
/// test API.
/// </summary>
public sealed class PresetTests(JsonServerFixture jsonServer) : IClassFixture<JsonServerFixture>, IAsyncLifetime
{
    private readonly TestDirectories _directories = new();
    private IngestionHost _host = null!;
    private TestApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _api = await TestApiServer.StartAsync(1000);
        _host = await IngestionHost.StartAsync(_directories, new Dictionary<string, string?>
        {
            ["Sluice:Ingestion:Secrets:github-token"] = "ghp_test",
            ["Sluice:Ingestion:Secrets:stripe-key"] = "sk_test",
            ["Sluice:Ingestion:Secrets:zendesk-token"] = "zd_test",
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _api.DisposeAsync();
        _directories.Dispose();
    }

    /// <summary>The preset's YAML with some top-level settings replaced (a null value removes the setting).</summary>
    private static string Preset(string file, Dictionary<string, YamlNode?> changes)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(PeerProcess.RepoRoot, "samples", "sources", file)))
        {
            stream.Load(reader);
        }
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        foreach (var (key, value) in changes)
        {
            root.Children.Remove(new YamlScalarNode(key));
            if (value is not null)
            {
                root.Children.Add(new YamlScalarNode(key), value);
            }
        }
        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    private static YamlMappingNode NoRateLimit() => new() { { "requestsPerSecond", "0" } };

    private async Task<Job> RunAsync(string name, string definition, bool fullRefresh = false)
    {
        if (!(await _host.Client.ListSourcesAsync(new ListSourcesRequest())).Sources.Any(s => s.Name == name))
        {
            await _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = name, Definition = definition });
        }
        var jobId = (await _host.Client.StartIngestionAsync(new StartIngestionRequest { Source = name, FullRefresh = fullRefresh })).JobId;
        var job = (await Jobs.WatchToEndAsync(_host.Client, jobId))[^1];
        Assert.True(job.State == JobState.Succeeded, job.Error);
        return job;
    }

    [Fact]
    public async Task GitHubPreset_LinkPagingAgainstJsonServer_LandsEveryIssue()
    {
        var job = await RunAsync("github-issues", Preset("github-link.yaml", new()
        {
            ["baseUrl"] = new YamlScalarNode(jsonServer.BaseUrl),
            ["path"] = new YamlScalarNode("/items"),
            ["query"] = new YamlMappingNode { { "_page", "1" } }, // json-server's page parameter; it filters on any other.
            ["pagination"] = new YamlMappingNode { { "type", "linkHeader" }, { "sizeParam", "_limit" }, { "pageSize", "100" } },
            ["rateLimit"] = NoRateLimit(),
            ["incremental"] = null,
        }));

        Assert.Equal(JsonServerFixture.ItemCount, job.Records);
        var ids = Jobs.LandedLines(_directories.Objects, job).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetInt32());
        Assert.Equal(Enumerable.Range(1, JsonServerFixture.ItemCount), ids);
    }

    [Fact]
    public async Task StripePreset_StartingAfterCursor_LandsEveryCustomerOnce()
    {
        var job = await RunAsync("stripe-customers", Preset("stripe-cursor.yaml", new()
        {
            ["baseUrl"] = new YamlScalarNode(_api.BaseUrl),
            ["rateLimit"] = NoRateLimit(),
        }));

        Assert.Equal(10, job.Pages);
        Jobs.AssertExactly(_api.Records, Jobs.LandedLines(_directories.Objects, job));
    }

    [Fact]
    public async Task ZendeskPreset_IncrementalExport_SecondRunStartsFromTheWatermark()
    {
        var definition = Preset("zendesk-incremental.yaml", new()
        {
            ["baseUrl"] = new YamlScalarNode(_api.BaseUrl),
            ["rateLimit"] = NoRateLimit(),
            ["schedule"] = null,
        });

        var first = await RunAsync("zendesk-tickets", definition);
        Jobs.AssertExactly(_api.Records, Jobs.LandedLines(_directories.Objects, first));
        var watermark = _api.Records[^1].UpdatedAt.ToString();
        Assert.Equal(watermark, first.Watermark);
        Assert.Equal(watermark, (await _host.Client.GetSourceAsync(new GetSourceRequest { Name = "zendesk-tickets" })).Source.Watermark);

        // Zendesk's start_time is inclusive: the next run reads from the last change on.
        var second = await RunAsync("zendesk-tickets", definition);
        Jobs.AssertExactly(_api.Records.Where(r => r.UpdatedAt >= _api.Records[^1].UpdatedAt), Jobs.LandedLines(_directories.Objects, second));

        var full = await RunAsync("zendesk-tickets", definition, fullRefresh: true);
        Assert.Equal(_api.Records.Count, full.Records);
    }
}
