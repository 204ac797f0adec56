using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts.Messages;

namespace Sluice.Validation.Tests;

/// <summary>Publishes DatasetLanded on a hosted service's bus and waits (bounded) for the DatasetValidated of its job.</summary>
public static class DatasetValidatedProbe
{
    /// <summary>The one answer to <paramref name="landed"/>; fails if none comes in time or the job is answered twice.</summary>
    public static async Task<DatasetValidated> PublishAndAwaitAnswerAsync(ValidationHost host, DatasetLanded landed)
    {
        await using var answers = await DatasetValidatedRecorder.StartAsync(host);
        await answers.Bus.Publish(landed);
        return await answers.OnlyAnswerAsync(landed.JobId);
    }
}

/// <summary>
/// Records the DatasetValidated events a bus carries, handled one at a time in the order its queue
/// holds them. Its endpoint is temporary: a queue of its own, not durable, removed when the
/// recorder stops (on RabbitMQ one left by a process that died expires a minute later, x-expires),
/// so it neither lingers nor collects later runs' events. Tests tell their jobs apart by unique
/// job ids, so answers to other runs' events are ignored.
/// </summary>
public sealed class DatasetValidatedRecorder : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly HostReceiveEndpointHandle _handle;
    private readonly Dictionary<string, TaskCompletionSource<DatasetValidated>> _waits = [];
    private readonly List<DatasetValidated> _seen = [];
    private readonly Lock _sync = new();

    private DatasetValidatedRecorder(IBus bus, Func<DatasetValidatedRecorder, HostReceiveEndpointHandle> connect)
    {
        Bus = bus;
        _handle = connect(this);
    }

    /// <summary>The bus the recorder listens on; publish the test's DatasetLanded here.</summary>
    public IBus Bus { get; }

    public static Task<DatasetValidatedRecorder> StartAsync(ValidationHost host) => StartAsync(host.Services.GetRequiredService<IBus>());

    public static async Task<DatasetValidatedRecorder> StartAsync(IBus bus)
    {
        var recorder = new DatasetValidatedRecorder(bus, self => bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), null, endpoint =>
        {
            endpoint.ConcurrentMessageLimit = 1;
            endpoint.Handler<DatasetValidated>(context => self.Record(context.Message));
        }));
        try
        {
            // Ready once its queue is bound to the event's exchange: nothing published later is missed.
            await recorder._handle.Ready.WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The DatasetValidated recorder's endpoint was not ready within {Timeout.TotalSeconds} s; the bus: {(bus as IBusControl)?.CheckHealth().Description}");
        }
        return recorder;
    }

    /// <summary>The first DatasetValidated of job <paramref name="jobId"/>, waiting for it at most <see cref="Timeout"/>.</summary>
    public async Task<DatasetValidated> AnswerAsync(string jobId)
    {
        Task<DatasetValidated> wait;
        lock (_sync)
        {
            wait = Wait(jobId).Task;
        }
        try
        {
            return await wait.WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No DatasetValidated for job {jobId} within {Timeout.TotalSeconds} s.");
        }
    }

    /// <summary>
    /// The answer to job <paramref name="jobId"/>, checked to be its only one so far once the
    /// answer to a later DatasetLanded (a marker of a source without a ruleset, published after
    /// the first answer arrived) has been handled too: answers are recorded in queue order, so a
    /// second answer published before the marker's would have been seen. Evidence against
    /// duplicates (a second publish, a second binding, a redelivery), not a proof: a service that
    /// evaluates several datasets at once may answer the marker before a slower duplicate.
    /// </summary>
    public async Task<DatasetValidated> OnlyAnswerAsync(string jobId)
    {
        var answer = await AnswerAsync(jobId);
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        await Bus.Publish(new DatasetLanded { JobId = marker, Source = marker, ObjectKeys = [], RecordCount = 0, LandedAt = DateTimeOffset.UtcNow });
        var markerAnswer = await AnswerAsync(marker);
        Assert.Equal(DatasetValidationStatus.NoRuleset, markerAnswer.Status);
        var answers = AnswersTo(jobId);
        Assert.True(answers.Count == 1, $"Job {jobId} was answered {answers.Count} times: {string.Join(", ", answers.Select(a => a.Status))}.");
        return answer;
    }

    /// <summary>Every DatasetValidated of job <paramref name="jobId"/> recorded so far.</summary>
    public IReadOnlyList<DatasetValidated> AnswersTo(string jobId)
    {
        lock (_sync)
        {
            return _seen.Where(m => m.JobId == jobId).ToList();
        }
    }

    public async ValueTask DisposeAsync() => await _handle.StopAsync();

    private Task Record(DatasetValidated message)
    {
        lock (_sync)
        {
            _seen.Add(message);
            Wait(message.JobId).TrySetResult(message);
        }
        return Task.CompletedTask;
    }

    private TaskCompletionSource<DatasetValidated> Wait(string jobId)
    {
        if (!_waits.TryGetValue(jobId, out var wait))
        {
            wait = new TaskCompletionSource<DatasetValidated>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waits[jobId] = wait;
        }
        return wait;
    }
}
