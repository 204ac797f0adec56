using System.Text.Json;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Tests;

/// <summary>Ingesting from a REST server nobody here wrote: json-server, paged with _page/_limit and Link headers.</summary>
public sealed class JsonServerIngestionTests(JsonServerFixture jsonServer) : IClassFixture<JsonServerFixture>, IAsyncLifetime
{
    private readonly TestDirectories _directories = new();
    private IngestionHost _host = null!;

    public async Task InitializeAsync() => _host = await IngestionHost.StartAsync(_directories, new Dictionary<string, string?>
    {
        ["Sluice:Ingestion:PartBytes"] = "65536", // Several parts for 2,500 records.
    });

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _directories.Dispose();
    }

    [Theory]
    [InlineData("pageNumber")]
    [InlineData("linkHeader")]
    public async Task Ingest_JsonServer_LandsEveryRecordOnceInRolledParts(string pagination)
    {
        var definition = $$"""
            baseUrl: {{jsonServer.BaseUrl}}
            path: /items
            query: { {{(pagination == "linkHeader" ? "_page: 1" : "")}} }
            pagination:
              type: {{pagination}}
              pageParam: _page
              sizeParam: _limit
              pageSize: 100
            rateLimit:
              requestsPerSecond: 0
            """;
        await _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "issues", Definition = definition });

        var jobId = (await _host.Client.StartIngestionAsync(new StartIngestionRequest { Source = "issues" })).JobId;
        var updates = await Jobs.WatchToEndAsync(_host.Client, jobId);

        var job = updates[^1];
        Assert.True(job.State == JobState.Succeeded, job.Error);
        Assert.Equal(JobPhase.Landed, job.Phase);
        Assert.Equal(JsonServerFixture.ItemCount, job.Records);
        Assert.True(job.PartKeys.Count > 1, "parts roll over by size");
        var day = job.CreatedAt.ToDateTime().ToString("yyyy-MM-dd");
        Assert.Equal($"raw/issues/ingest_date={day}/{jobId}/part-00000.ndjson", job.PartKeys[0]);
        var landed = Jobs.LandedLines(_directories.Objects, job);
        Assert.Equal(jsonServer.Items.Select(i => i.GetProperty("id").GetInt32()), landed.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetInt32()));

        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(_directories.Objects, job.ManifestKey))).RootElement;
        Assert.Equal(JsonServerFixture.ItemCount, manifest.GetProperty("records").GetInt64());
        Assert.Equal(job.PartKeys, manifest.GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("key").GetString()));
        foreach (var part in manifest.GetProperty("parts").EnumerateArray())
        {
            var bytes = File.ReadAllBytes(Path.Combine(_directories.Objects, part.GetProperty("key").GetString()!));
            Assert.Equal(part.GetProperty("sha256").GetString(), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
            Assert.Equal(part.GetProperty("bytes").GetInt64(), bytes.Length);
        }
        Assert.Contains(updates, u => u.Phase == JobPhase.Fetching && u.Pages > 0 && u.Cursor.Length > 0);
        Assert.True(job.Pages >= JsonServerFixture.ItemCount / 100);
    }
}
