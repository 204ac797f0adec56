using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Ingestion.V1;
using Sluice.ObjectStore;
using Sluice.ObjectStore.Tests.Infrastructure;

namespace Sluice.Ingestion.Tests;

/// <summary>Landing on the durable profile's store: an S3-compatible server (fauxqs), parts rolled by size, the manifest's checksums matching what S3 holds.</summary>
public sealed class S3LandingTests(FauxqsFixture fauxqs) : IClassFixture<FauxqsFixture>, IAsyncLifetime
{
    private readonly TestDirectories _directories = new();
    private IngestionHost _host = null!;
    private TestApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _api = await TestApiServer.StartAsync(2000);
        var s3 = fauxqs.CreateOptions();
        _host = await IngestionHost.StartAsync(_directories, IngestionHost.S3Settings(s3, new Dictionary<string, string?> { ["Sluice:Ingestion:PartBytes"] = "32768" }));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _api.DisposeAsync();
        _directories.Dispose();
    }

    [Fact]
    public async Task Ingest_IntoS3_LandsExactPartsAndManifest()
    {
        await _host.Client.CreateSourceAsync(new CreateSourceRequest
        {
            Name = "s3-customers",
            Definition = $"baseUrl: {_api.BaseUrl}\npath: /v1/customers\npagination: {{ type: cursor, cursorParam: starting_after, cursorField: id, hasMorePath: has_more, sizeParam: limit, pageSize: 100 }}\nrecordsPath: data\nrateLimit: {{ requestsPerSecond: 0 }}\n",
        });
        var jobId = (await _host.Client.StartIngestionAsync(new StartIngestionRequest { Source = "s3-customers" })).JobId;
        var job = (await Jobs.WatchToEndAsync(_host.Client, jobId))[^1];
        Assert.True(job.State == JobState.Succeeded, job.Error);
        Assert.True(job.PartKeys.Count > 1);

        var store = _host.Services.GetRequiredService<IObjectStore>();
        var lines = new List<string>();
        await using (var manifestStream = await store.OpenReadAsync(job.ManifestKey))
        {
            var manifest = await JsonDocument.ParseAsync(manifestStream);
            foreach (var part in manifest.RootElement.GetProperty("parts").EnumerateArray())
            {
                await using var stream = await store.OpenReadAsync(part.GetProperty("key").GetString()!);
                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy);
                Assert.Equal(part.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(copy.ToArray())));
                lines.AddRange(System.Text.Encoding.UTF8.GetString(copy.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
            }
        }
        Jobs.AssertExactly(_api.Records, lines);
        // Only the parts and the manifest: no temporary object is left behind.
        var keys = new List<string>();
        await foreach (var info in store.ListAsync($"raw/s3-customers/"))
        {
            keys.Add(info.Key);
        }
        Assert.Equal(job.PartKeys.Append(job.ManifestKey).Order(StringComparer.Ordinal), keys);
    }
}
