using System.Text;
using Amazon.S3.Model;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Ingestion.V1;
using Sluice.ObjectStore;
using Sluice.ObjectStore.Tests.Infrastructure;

namespace Sluice.Ingestion.Tests;

/// <summary>Jobs started by a file landing under a source's trigger prefix: one call per listed id, once, across restarts.</summary>
public sealed class ObjectTriggerTests : IAsyncLifetime
{
    internal static readonly Dictionary<string, string?> FastPolling = new() { ["Sluice:Ingestion:Triggers:PollInterval"] = "00:00:00.100" };

    private readonly TestDirectories _directories = new();
    private IngestionHost _host = null!;
    private TestApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _api = await TestApiServer.StartAsync(300);
        _host = await IngestionHost.StartAsync(_directories, FastPolling);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _api.DisposeAsync();
        _directories.Dispose();
    }

    internal static string LookupDefinition(string baseUrl) =>
        $"baseUrl: {baseUrl}\npath: /v1/customers/{{id}}\ntrigger: {{ prefix: uploads/customers/ }}\nrateLimit: {{ requestsPerSecond: 0 }}\n";

    /// <summary>Drops a file into the local store's directory as any program would: written aside, then moved in whole.</summary>
    private void Upload(string key, string content)
    {
        var aside = Path.Combine(_directories.Root, Guid.NewGuid().ToString("N"));
        File.WriteAllText(aside, content);
        var target = Path.Combine(_directories.Objects, key);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(aside, target);
    }

    /// <summary>Waits (bounded) for the job the object <paramref name="key"/> started, then follows it to its end.</summary>
    internal static async Task<Job> JobForAsync(IngestionService.IngestionServiceClient client, string source, string key)
    {
        var until = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var jobs = (await client.ListJobsAsync(new ListJobsRequest { Source = source })).Jobs;
            if (jobs.FirstOrDefault(j => j.TriggerObjectKey == key) is { } job)
            {
                return (await Jobs.WatchToEndAsync(client, job.JobId))[^1];
            }
            Assert.True(DateTime.UtcNow < until, $"no job started for {key} within a minute");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task ObjectLanded_ListedIds_OneCallEachOnceEvenAfterRestart()
    {
        await _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "customer-lookup", Definition = LookupDefinition(_api.BaseUrl) });

        Upload("uploads/customers/a-ids.ndjson", "{\"id\": 5}\n\n{\"id\": 17}\r\n{\"id\": \"230\"}\n");
        var first = await JobForAsync(_host.Client, "customer-lookup", "uploads/customers/a-ids.ndjson");

        Assert.True(first.State == JobState.Succeeded, first.Error);
        Assert.Equal(JobTrigger.Object, first.Trigger);
        Jobs.AssertExactly(_api.Records.Where(r => r.Id is 5 or 17 or 230), Jobs.LandedLines(_directories.Objects, first));
        Assert.Equal(new Dictionary<long, int> { [5] = 1, [17] = 1, [230] = 1 }, _api.CustomerCalls.ToDictionary());

        // A restart lists the prefix again: the first file is known, the second (a JSON array of ids) is new.
        await _host.DisposeAsync();
        _host = await IngestionHost.StartAsync(_directories, FastPolling);
        Upload("uploads/customers/b-ids.json", "[42, 7]");
        var second = await JobForAsync(_host.Client, "customer-lookup", "uploads/customers/b-ids.json");

        Assert.True(second.State == JobState.Succeeded, second.Error);
        Jobs.AssertExactly(_api.Records.Where(r => r.Id is 42 or 7).OrderByDescending(r => r.Id), Jobs.LandedLines(_directories.Objects, second));
        Assert.Equal(2, (await _host.Client.ListJobsAsync(new ListJobsRequest { Source = "customer-lookup" })).Jobs.Count);
        Assert.Equal(new Dictionary<long, int> { [5] = 1, [17] = 1, [230] = 1, [42] = 1, [7] = 1 }, _api.CustomerCalls.ToDictionary());
    }

    [Fact]
    public async Task ObjectLanded_MalformedLine_FailsThatJobNamingTheObjectAndLineWithoutCalling()
    {
        await _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "customer-lookup", Definition = LookupDefinition(_api.BaseUrl) });

        Upload("uploads/customers/broken.ndjson", "{\"id\": 1}\n{\"id\": 2}\n{\"id\": 3,,}\n{\"id\": 4}\n");
        Upload("uploads/customers/no-id.ndjson", "{\"id\": 1}\n{\"name\": \"who\"}\n");
        Upload("uploads/customers/broken-array.json", "[{\"id\": 1},\n {\"id\": 2,]\n");
        var broken = await JobForAsync(_host.Client, "customer-lookup", "uploads/customers/broken.ndjson");
        var brokenArray = await JobForAsync(_host.Client, "customer-lookup", "uploads/customers/broken-array.json");
        var noId = await JobForAsync(_host.Client, "customer-lookup", "uploads/customers/no-id.ndjson");

        Assert.Equal(JobState.Failed, broken.State);
        Assert.Contains("Trigger object 'uploads/customers/broken.ndjson' line 3: not a JSON value", broken.Error);
        Assert.Equal(JobState.Failed, brokenArray.State);
        Assert.Contains("Trigger object 'uploads/customers/broken-array.json' line 2: not a valid JSON array", brokenArray.Error);
        Assert.Equal(JobState.Failed, noId.State);
        Assert.Contains("Trigger object 'uploads/customers/no-id.ndjson' line 2: the record has no string or number at 'id' to fill {id}", noId.Error);
        Assert.Empty(_api.CustomerCalls);
    }

    [Fact]
    public async Task TriggerSource_StartedOnDemandOrOverlappingItsZone_IsRefusedWithTheReason()
    {
        await _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "customer-lookup", Definition = LookupDefinition(_api.BaseUrl) });

        var onDemand = await Assert.ThrowsAsync<RpcException>(async () =>
            await _host.Client.StartIngestionAsync(new StartIngestionRequest { Source = "customer-lookup" }));
        Assert.Equal(StatusCode.FailedPrecondition, onDemand.StatusCode);
        Assert.Contains("fills {id} from the records of objects landing under its trigger prefix", onDemand.Status.Detail);

        var looping = await Assert.ThrowsAsync<RpcException>(async () => await _host.Client.CreateSourceAsync(new CreateSourceRequest
        {
            Name = "looping",
            Definition = $"baseUrl: {_api.BaseUrl}\npath: /v1/customers/{{id}}\ntrigger: {{ prefix: raw/ }}\n",
        }));
        Assert.Equal(StatusCode.InvalidArgument, looping.StatusCode);
        Assert.Contains("definition.trigger.prefix: 'raw/' overlaps the zone 'raw/' the source lands in", looping.Status.Detail);

        var unfilled = await Assert.ThrowsAsync<RpcException>(async () => await _host.Client.CreateSourceAsync(new CreateSourceRequest
        {
            Name = "unfilled",
            Definition = $"baseUrl: {_api.BaseUrl}\npath: /v1/customers/{{id}}\n",
        }));
        Assert.Contains("definition.path: has the placeholder {id}, which only the records of a trigger object can fill", unfilled.Status.Detail);
    }
}

/// <summary>The same trigger on the durable profile's store: a file put into fauxqs S3 with the AWS SDK.</summary>
public sealed class S3ObjectTriggerTests(FauxqsFixture fauxqs) : IClassFixture<FauxqsFixture>, IAsyncLifetime
{
    private readonly TestDirectories _directories = new();
    private IngestionHost _host = null!;
    private TestApiServer _api = null!;
    private Dictionary<string, string?> _settings = null!;
    private string _prefix = "";

    public async Task InitializeAsync()
    {
        _api = await TestApiServer.StartAsync(300);
        var s3 = fauxqs.CreateOptions();
        _prefix = s3.Prefix!;
        _settings = IngestionHost.S3Settings(s3, ObjectTriggerTests.FastPolling);
        _host = await IngestionHost.StartAsync(_directories, _settings);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _api.DisposeAsync();
        _directories.Dispose();
    }

    private async Task UploadAsync(string key, string content)
    {
        using var s3 = fauxqs.CreateClient();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = FauxqsFixture.Bucket, Key = $"{_prefix}/{key}", ContentBody = content });
    }

    [Fact]
    public async Task ObjectLandedInS3_ListedIds_OneCallEachOnceEvenAfterRestart()
    {
        await _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "s3-lookup", Definition = ObjectTriggerTests.LookupDefinition(_api.BaseUrl) });

        await UploadAsync("uploads/customers/ids.ndjson", "{\"id\": 11}\n{\"id\": 12}\n{\"id\": 299}\n");
        var first = await ObjectTriggerTests.JobForAsync(_host.Client, "s3-lookup", "uploads/customers/ids.ndjson");
        Assert.True(first.State == JobState.Succeeded, first.Error);
        var store = _host.Services.GetRequiredService<IObjectStore>();
        var lines = new List<string>();
        foreach (var key in first.PartKeys)
        {
            await using var part = await store.OpenReadAsync(key);
            using var reader = new StreamReader(part, Encoding.UTF8);
            lines.AddRange((await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        Jobs.AssertExactly(_api.Records.Where(r => r.Id is 11 or 12 or 299), lines);

        await _host.DisposeAsync();
        _host = await IngestionHost.StartAsync(_directories, _settings);
        await UploadAsync("uploads/customers/more.json", "[{\"id\": 13}]");
        var second = await ObjectTriggerTests.JobForAsync(_host.Client, "s3-lookup", "uploads/customers/more.json");

        Assert.True(second.State == JobState.Succeeded, second.Error);
        Assert.Equal(2, (await _host.Client.ListJobsAsync(new ListJobsRequest { Source = "s3-lookup" })).Jobs.Count);
        Assert.Equal(new Dictionary<long, int> { [11] = 1, [12] = 1, [299] = 1, [13] = 1 }, _api.CustomerCalls.ToDictionary());
    }
}
