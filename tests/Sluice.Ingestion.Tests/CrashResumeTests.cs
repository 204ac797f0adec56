using Grpc.Core;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Tests;

/// <summary>
/// The ingestion service as its own process (its Program), killed with SIGKILL in the middle of a
/// job and started again on the same data directory: the job resumes from its last checkpoint and
/// lands exactly the source's records, none skipped, none twice.
/// </summary>
public sealed class CrashResumeTests : IAsyncLifetime
{
    private readonly TestDirectories _directories = new();
    private TestApiServer _api = null!;

    public async Task InitializeAsync() => _api = await TestApiServer.StartAsync(3000);

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _directories.Dispose();
    }

    [Fact]
    public async Task Job_ServiceKilledMidJobAndRestarted_CompletesWithExactlyTheSourceRecords()
    {
        _api.PageDelay = TimeSpan.FromMilliseconds(60);
        var port = ServiceProcess.FreePort();
        Job beforeKill;
        using (var first = ServiceProcess.Start(_directories, port))
        {
            var client = await first.ConnectAsync();
            await client.CreateSourceAsync(new CreateSourceRequest
            {
                Name = "crashy",
                Definition = $"baseUrl: {_api.BaseUrl}\npath: /cursor/items\npagination: {{ type: cursor, cursorParam: cursor, cursorPath: next_cursor, sizeParam: limit, pageSize: 30 }}\nrecordsPath: data\nrateLimit: {{ requestsPerSecond: 0 }}\n",
            });
            var jobId = (await client.StartIngestionAsync(new StartIngestionRequest { Source = "crashy" })).JobId;
            using var watch = client.WatchJob(new WatchJobRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddMinutes(2));
            do
            {
                Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None), "the job ended before it could be killed");
                beforeKill = watch.ResponseStream.Current.Job;
            }
            while (beforeKill.Pages < 40);
            first.Kill();
        }
        Assert.True(beforeKill.Records < _api.Records.Count);
        Assert.NotEmpty(beforeKill.PartKeys); // Some parts were already in the store.

        using var second = ServiceProcess.Start(_directories, port);
        var resumed = await second.ConnectAsync();
        var final = (await Jobs.WatchToEndAsync(resumed, beforeKill.JobId))[^1];

        Assert.True(final.State == JobState.Succeeded, final.Error);
        Assert.Equal(_api.Records.Count, final.Records);
        Jobs.AssertExactly(_api.Records, Jobs.LandedLines(_directories.Objects, final));
    }
}
