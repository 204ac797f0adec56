using Grpc.Core;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts.Messages;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Tests;

/// <summary>Jobs started by a StartIngestion command on the broker and by a schedule.</summary>
public sealed class TriggerTests : IAsyncLifetime
{
    private readonly TestDirectories _directories = new();
    private IngestionHost _host = null!;
    private TestApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _api = await TestApiServer.StartAsync(200);
        _host = await IngestionHost.StartAsync(_directories, new Dictionary<string, string?> { ["Sluice:Ingestion:SchedulePollInterval"] = "00:00:00.100" });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _api.DisposeAsync();
        _directories.Dispose();
    }

    private string Definition(string extra = "") =>
        $"baseUrl: {_api.BaseUrl}\npath: /v1/customers\npagination: {{ type: cursor, cursorParam: starting_after, cursorField: id, hasMorePath: has_more, sizeParam: limit, pageSize: 50 }}\nrecordsPath: data\nrateLimit: {{ requestsPerSecond: 0 }}\n{extra}";

    /// <summary>Waits (bounded) until the job exists; the command is consumed asynchronously.</summary>
    private async Task<Job> WaitForJobAsync(string jobId)
    {
        var until = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            try
            {
                return (await _host.Client.GetJobAsync(new GetJobRequest { JobId = jobId })).Job;
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound && DateTime.UtcNow < until)
            {
                await Task.Delay(50);
            }
        }
    }

    [Fact]
    public async Task StartIngestionCommand_OnTheBus_RunsOneJobUnderTheSendersId()
    {
        await _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "by-broker", Definition = Definition() });
        var jobId = Guid.NewGuid().ToString();
        var bus = _host.Services.GetRequiredService<IBus>();

        await bus.Publish(new StartIngestion { JobId = jobId, Source = "by-broker" });
        await bus.Publish(new StartIngestion { JobId = jobId, Source = "by-broker" });

        var job = await WaitForJobAsync(jobId);
        Assert.Equal(JobTrigger.Broker, job.Trigger);
        var final = (await Jobs.WatchToEndAsync(_host.Client, jobId))[^1];
        Assert.True(final.State == JobState.Succeeded, final.Error);
        Jobs.AssertExactly(_api.Records, Jobs.LandedLines(_directories.Objects, final));
        Assert.Single((await _host.Client.ListJobsAsync(new ListJobsRequest { Source = "by-broker" })).Jobs);
    }

    [Fact]
    public async Task Schedule_Interval_StartsJobsByItself()
    {
        await _host.Client.CreateSourceAsync(new CreateSourceRequest { Name = "scheduled", Definition = Definition("schedule: { interval: \"00:00:01\" }\n") });

        var until = DateTime.UtcNow.AddMinutes(1);
        List<Job> finished;
        do
        {
            await Task.Delay(100);
            var jobs = (await _host.Client.ListJobsAsync(new ListJobsRequest { Source = "scheduled" })).Jobs;
            finished = jobs.Where(j => j.State == JobState.Succeeded).ToList();
        }
        while (finished.Count < 2 && DateTime.UtcNow < until);

        Assert.True(finished.Count >= 2, "two scheduled runs within a minute");
        Assert.All(finished, j => Assert.Equal(JobTrigger.Schedule, j.Trigger));
        Assert.All(finished, j => Assert.Equal(_api.Records.Count, j.Records));
    }
}
