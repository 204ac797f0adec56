using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Tests;

/// <summary>Paging through the project's own test server: cursors, faults, OAuth2 expiry, exhausted retries, cancellation.</summary>
public sealed class PoliteRunnerTests : IAsyncLifetime
{
    private readonly TestDirectories _directories = new();
    private IngestionHost _host = null!;
    private TestApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _api = await TestApiServer.StartAsync(1000);
        _host = await IngestionHost.StartAsync(_directories);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _api.DisposeAsync();
        _directories.Dispose();
    }

    private async Task<Job> RunAsync(string name, string definition)
    {
        await _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = name, Definition = definition });
        var jobId = (await _host.Client.StartIngestionAsync(new StartIngestionRequest { Source = name })).JobId;
        return (await Jobs.WatchToEndAsync(_host.Client, jobId))[^1];
    }

    [Fact]
    public async Task Ingest_CursorPagingThroughFaults_RetriesAndLandsExactly()
    {
        _api.Faults[1] = TestApiServer.Fault.TooManyRequests;
        _api.Faults[2] = TestApiServer.Fault.ServerError;
        _api.Faults[3] = TestApiServer.Fault.Truncated;
        _api.Faults[4] = TestApiServer.Fault.Slow;
        _api.Faults[5] = TestApiServer.Fault.Unavailable;

        var job = await RunAsync("cursor-items", $$"""
            baseUrl: {{_api.BaseUrl}}
            path: /cursor/items
            pagination: { type: cursor, cursorParam: cursor, cursorPath: next_cursor, sizeParam: limit, pageSize: 100 }
            recordsPath: data
            rateLimit: { requestsPerSecond: 50, burst: 5 }
            retry: { maxRetries: 4, baseDelay: "00:00:00.050", maxDelay: "00:00:02", attemptTimeout: "00:00:01" }
            """);

        Assert.True(job.State == JobState.Succeeded, job.Error);
        Assert.Equal(5, job.Retries);
        Assert.Equal(10, job.Pages);
        Jobs.AssertExactly(_api.Records, Jobs.LandedLines(_directories.Objects, job));
    }

    [Fact]
    public async Task Ingest_OAuth2TokensExpiringMidJob_RenewsAndCompletes()
    {
        _api.TokenLifetime = TimeSpan.FromMilliseconds(600);
        _api.PageDelay = TimeSpan.FromMilliseconds(40);

        var job = await RunAsync("secure-items", $$"""
            baseUrl: {{_api.BaseUrl}}
            path: /secure/items
            auth: { type: oAuth2, tokenUrl: "{{_api.BaseUrl}}/oauth/token", clientId: {{TestApiServer.ClientId}}, secret: test-client-secret }
            pagination: { type: pageNumber, pageParam: page, sizeParam: per_page, pageSize: 25 }
            rateLimit: { requestsPerSecond: 0 }
            """);

        Assert.True(job.State == JobState.Succeeded, job.Error);
        Assert.True(_api.TokensIssued >= 2, $"tokens issued: {_api.TokensIssued}");
        Jobs.AssertExactly(_api.Records, Jobs.LandedLines(_directories.Objects, job));
    }

    [Fact]
    public async Task Ingest_ApiKeyInQueryWithOffsetPaging_LandsEverything()
    {
        var job = await RunAsync("keyed", $$"""
            baseUrl: {{_api.BaseUrl}}
            path: /keyed/items
            auth: { type: apiKey, queryParam: api_key, secret: test-api-key }
            pagination: { type: offset, offsetParam: offset, sizeParam: limit, pageSize: 300 }
            recordsPath: results
            rateLimit: { requestsPerSecond: 0 }
            """);

        Assert.True(job.State == JobState.Succeeded, job.Error);
        Jobs.AssertExactly(_api.Records, Jobs.LandedLines(_directories.Objects, job));
        Assert.DoesNotContain(TestApiServer.ApiKey, job.Cursor + job.Error);
    }

    [Fact]
    public async Task Ingest_ServerAlwaysFailing_FailsAfterTheRetryBoundWithTheReason()
    {
        var job = await RunAsync("broken", $$"""
            baseUrl: {{_api.BaseUrl}}
            path: /always500
            retry: { maxRetries: 3, baseDelay: "00:00:00.020", maxDelay: "00:00:00.100" }
            """);

        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(JobPhase.Failed, job.Phase);
        Assert.Equal(3, job.Retries);
        Assert.Contains("500", job.Error);
        Assert.Contains("after 3 retries", job.Error);
        Assert.Contains("/always500", job.Error);
    }

    [Fact]
    public async Task Ingest_WrongKey_FailsWithoutRetrying()
    {
        await _host.Client.CreateSourceAsync(new CreateSourceRequest
        {
            Name = "keyless",
            Definition = $"baseUrl: {_api.BaseUrl}\npath: /keyed/items\npagination: {{ type: offset, offsetParam: offset, sizeParam: limit }}\n",
        });
        var jobId = (await _host.Client.StartIngestionAsync(new StartIngestionRequest { Source = "keyless" })).JobId;
        var job = (await Jobs.WatchToEndAsync(_host.Client, jobId))[^1];

        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(0, job.Retries);
        Assert.Contains("403", job.Error);
    }

    [Fact]
    public async Task CancelJob_Running_StopsIt()
    {
        _api.PageDelay = TimeSpan.FromMilliseconds(200);
        await _host.Client.CreateSourceAsync(new CreateSourceRequest
        {
            Name = "slow",
            Definition = $"baseUrl: {_api.BaseUrl}\npath: /cursor/items\npagination: {{ type: cursor, cursorParam: cursor, cursorPath: next_cursor, sizeParam: limit, pageSize: 10 }}\nrecordsPath: data\nrateLimit: {{ requestsPerSecond: 0 }}\n",
        });
        var jobId = (await _host.Client.StartIngestionAsync(new StartIngestionRequest { Source = "slow" })).JobId;
        using var watch = _host.Client.WatchJob(new WatchJobRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddMinutes(2));
        while (await watch.ResponseStream.MoveNext(CancellationToken.None) && watch.ResponseStream.Current.Job.Pages < 2)
        {
        }

        var cancelled = (await _host.Client.CancelJobAsync(new CancelJobRequest { JobId = jobId })).Job;

        Assert.Equal(JobState.Cancelled, cancelled.State);
        var final = (await Jobs.WatchToEndAsync(_host.Client, jobId))[^1];
        Assert.Equal(JobState.Cancelled, final.State);
        Assert.True(final.Records < _api.Records.Count);
        var listed = await _host.Client.ListJobsAsync(new ListJobsRequest { Source = "slow" });
        Assert.Equal(jobId, Assert.Single(listed.Jobs).JobId);
    }
}
