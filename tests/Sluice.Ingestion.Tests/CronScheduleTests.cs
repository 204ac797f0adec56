using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Tests;

/// <summary>
/// A source scheduled by a cron expression (Cronos, UTC), with the service's clock replaced by a
/// FakeTimeProvider: runs start when the clock reaches each occurrence, and the next one is counted
/// from the last scheduled run. No wall-clock waits: the clock only moves when the test moves it.
/// </summary>
public sealed class CronScheduleTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 10, 0, 0, TimeSpan.Zero);

    private readonly TestDirectories _directories = new();
    private readonly FakeTimeProvider _clock = new(Start);
    private IngestionHost _host = null!;
    private TestApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _api = await TestApiServer.StartAsync(120);
        _host = await IngestionHost.StartAsync(_directories, new Dictionary<string, string?> { ["Sluice:Ingestion:SchedulePollInterval"] = "00:00:01" },
            builder => builder.Services.AddSingleton<TimeProvider>(_clock));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _api.DisposeAsync();
        _directories.Dispose();
    }

    /// <summary>Waits (bounded, in real time) until the source has <paramref name="count"/> jobs, and returns them oldest first.</summary>
    private async Task<List<Job>> WaitForJobsAsync(int count)
    {
        var until = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var jobs = (await _host.Client.ListJobsAsync(new ListJobsRequest { Source = "every-five" })).Jobs.Reverse().ToList();
            if (jobs.Count >= count || DateTime.UtcNow > until)
            {
                Assert.True(jobs.Count == count, $"{count} scheduled jobs expected, {jobs.Count} found: {string.Join(", ", jobs.Select(j => j.CreatedAt.ToDateTimeOffset().ToString("HH:mm:ss")))}");
                return jobs;
            }
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Schedule_CronExpression_StartsARunAtEachOccurrenceOfTheInjectedClock()
    {
        await _host.Client.CreateSourceAsync(new CreateSourceRequest
        {
            Name = "every-five",
            Definition = $"baseUrl: {_api.BaseUrl}\npath: /v1/customers\npagination: {{ type: cursor, cursorParam: starting_after, cursorField: id, hasMorePath: has_more, sizeParam: limit, pageSize: 50 }}\nrecordsPath: data\nrateLimit: {{ requestsPerSecond: 0 }}\nschedule: {{ cron: \"*/5 * * * *\" }}\n",
        });

        // 10:05 is the first occurrence after the source was defined (10:00).
        _clock.Advance(TimeSpan.FromMinutes(5));
        var first = Assert.Single(await WaitForJobsAsync(1));
        Assert.Equal(JobTrigger.Schedule, first.Trigger);
        Assert.Equal(Start.AddMinutes(5), first.CreatedAt.ToDateTimeOffset());
        var landed = (await Jobs.WatchToEndAsync(_host.Client, first.JobId))[^1];
        Assert.True(landed.State == JobState.Succeeded, landed.Error);
        Jobs.AssertExactly(_api.Records, Jobs.LandedLines(_directories.Objects, landed));

        // 10:09 is between occurrences; 10:10 is the next one.
        _clock.Advance(TimeSpan.FromMinutes(4));
        _clock.Advance(TimeSpan.FromMinutes(1));
        var jobs = await WaitForJobsAsync(2);
        Assert.Equal([Start.AddMinutes(5), Start.AddMinutes(10)], jobs.Select(j => j.CreatedAt.ToDateTimeOffset()));
        Assert.All(jobs, j => Assert.Equal(JobTrigger.Schedule, j.Trigger));
    }
}
