using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Contracts.Messages;
using Sluice.ObjectStore;
using Sluice.Validation.V1;

namespace Sluice.Validation.Tests;

/// <summary>
/// What only a durable broker promises: DatasetLanded events wait on RabbitMQ for a validation
/// service to answer them. Each test starts hosts of its own (never alongside another host on the
/// broker, see <see cref="RabbitMqBroker.Collection"/>) and listens on a bus of its own, which
/// outlives them.
/// </summary>
[Collection(RabbitMqBroker.Collection)]
public sealed class RabbitMqDatasetLandedTests : IDisposable
{
    /// <summary>How long a stopping service waits for an evaluation (MassTransit's ConsumerStopTimeout), where a test shortens it.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(2);

    private readonly TestDirectories _directories = new();

    public void Dispose() => _directories.Dispose();

    /// <summary>
    /// On RabbitMQ a queue is bound to the exchanges of its messages only when its endpoint starts,
    /// and a message published to an exchange with no bound queue is dropped: a host that served
    /// before its bus was ready could miss the DatasetLanded of a job it was just told about.
    /// </summary>
    [Fact]
    public async Task HostStart_OnRabbitMq_ReturnsOnlyOnceTheBusEndpointsAreBound()
    {
        await using var host = await StartHostAsync();
        var bus = host.Services.GetRequiredService<IBusControl>();

        var health = bus.CheckHealth();
        // Not stopped before it is ready: a bus stopped while still starting is not stopped at all,
        // finishes starting after the host is disposed and takes the next tests' messages.
        await bus.WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));

        Assert.True(health.Status == BusHealthStatus.Healthy, $"The service had started but its bus was not ready: {health.Description}");
    }

    /// <summary>The service is down (restarting, upgrading) when a dataset lands: the next one to start answers it.</summary>
    [Fact]
    public async Task DatasetLanded_PublishedWhileNoValidationServiceRuns_IsAnsweredOnceByTheNextToStart()
    {
        var (source, jobId, keys) = await RegisterOrdersAsync();
        await using var client = await StartClientBusAsync();
        await using var answers = await DatasetValidatedRecorder.StartAsync(client.Bus);

        await answers.Bus.Publish(new DatasetLanded { JobId = jobId, Source = source, ObjectKeys = keys, RecordCount = 5, LandedAt = DateTimeOffset.UtcNow });
        // Nobody consumes the queue yet: had the event been dropped, no answer would ever come.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Empty(answers.AnswersTo(jobId));
        await using var host = await StartHostAsync();
        var validated = await answers.OnlyAnswerAsync(jobId);

        Assert.Equal(DatasetValidationStatus.Scored, validated.Status);
        Assert.Equal(OrdersDataset.ExpectedScore, validated.Score!.Value, 1e-9);
        Assert.Equal(5, validated.RowCount);
    }

    /// <summary>
    /// The service is stopped while it evaluates a dataset and the evaluation outlasts the stop
    /// timeout: the evaluation is cancelled and the event not acknowledged, so the broker gives it
    /// to the next service to start, which answers it, once. (Neither dropped as answered nor
    /// moved to an error queue.)
    /// </summary>
    [Fact]
    public async Task DatasetLanded_ServiceStoppedMidEvaluationPastItsStopTimeout_IsAnsweredOnceByTheNextToStart()
    {
        var (source, jobId, keys) = await RegisterOrdersAsync();
        await using var client = await StartClientBusAsync();
        await using var answers = await DatasetValidatedRecorder.StartAsync(client.Bus);
        var gate = new GateObjectStore(new LocalDirectoryObjectStore(_directories.Objects));
        var first = await StartHostAsync(services =>
        {
            services.AddSingleton<IObjectStore>(gate);
            // The wait for the evaluation to finish ends long before the bus's own stop timeout
            // (AddSluiceBus's 30 s), so that the bus still stops cleanly: since MassTransit 8.5 a
            // cancelled delivery is not nacked but left unacknowledged on its channel, and only
            // the channel's closing returns it to the queue. Shortening StopTimeout itself would
            // cancel the whole bus stop, leaving the channel (and the delivery) open until the
            // process exits.
            services.PostConfigure<MassTransitHostOptions>(options => options.ConsumerStopTimeout = StopTimeout);
        });
        TimeSpan stopped;
        try
        {
            await answers.Bus.Publish(new DatasetLanded { JobId = jobId, Source = source, ObjectKeys = keys, RecordCount = 5, LandedAt = DateTimeOffset.UtcNow });
            await gate.Entered.Task.WaitAsync(DatasetValidatedRecorder.Timeout);
        }
        finally
        {
            var stopping = Stopwatch.StartNew();
            await first.DisposeAsync();
            stopped = stopping.Elapsed;
        }
        var answeredByTheFirst = answers.AnswersTo(jobId);
        await using var second = await StartHostAsync();
        var validated = await answers.OnlyAnswerAsync(jobId);

        Assert.True(answeredByTheFirst.Count == 0,
            $"The stopped service answered: {string.Join("; ", answeredByTheFirst.Select(a => $"{a.Status} {a.Error}"))}.");
        // The evaluation was cancelled when the stop timed out, not left running.
        Assert.True(gate.Cancelled, $"The read waiting in the stopped service was not cancelled (stop took {stopped.TotalSeconds:0.000} s).");
        Assert.Equal(DatasetValidationStatus.Scored, validated.Status);
        Assert.Equal(OrdersDataset.ExpectedScore, validated.Score!.Value, 1e-9);
    }

    /// <summary>
    /// The service is stopped while it evaluates a dataset and the evaluation ends within the stop
    /// timeout: the service finishes it and answers, and the next service does not answer again.
    /// </summary>
    [Fact]
    public async Task DatasetLanded_ServiceStoppedMidEvaluationThatThenEnds_IsAnsweredOnceByTheStoppingService()
    {
        var (source, jobId, keys) = await RegisterOrdersAsync();
        await using var client = await StartClientBusAsync();
        await using var answers = await DatasetValidatedRecorder.StartAsync(client.Bus);
        var gate = new GateObjectStore(new LocalDirectoryObjectStore(_directories.Objects));
        var first = await StartHostAsync(services => services.AddSingleton<IObjectStore>(gate));
        try
        {
            await answers.Bus.Publish(new DatasetLanded { JobId = jobId, Source = source, ObjectKeys = keys, RecordCount = 5, LandedAt = DateTimeOffset.UtcNow });
            await gate.Entered.Task.WaitAsync(DatasetValidatedRecorder.Timeout);
            // The reads go through once the host has begun to stop (its bus stops after this callback).
            first.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => gate.OpenAfter(TimeSpan.FromMilliseconds(300)));
        }
        finally
        {
            await first.DisposeAsync();
        }
        // Awaited before the next service starts: only the stopped one can have answered.
        var answeredByTheFirst = await answers.AnswerAsync(jobId);
        await using var second = await StartHostAsync();
        var validated = await answers.OnlyAnswerAsync(jobId);

        Assert.Same(answeredByTheFirst, validated);
        Assert.Equal(DatasetValidationStatus.Scored, validated.Status);
        Assert.Equal(OrdersDataset.ExpectedScore, validated.Score!.Value, 1e-9);
    }

    /// <summary>
    /// A service on the broker evaluating one dataset at a time, so that it answers in the order
    /// its queue holds the events: a redelivered event, ahead of the marker that
    /// <see cref="DatasetValidatedRecorder.OnlyAnswerAsync"/> publishes later, is answered before it.
    /// </summary>
    private Task<ValidationHost> StartHostAsync(Action<IServiceCollection>? configureServices = null) =>
        ValidationHost.StartAsync(_directories, new Dictionary<string, string?> { ["MaxConcurrentEvaluations"] = "1" }, configureServices, RabbitMqBroker.BusConfiguration());

    /// <summary>
    /// The orders parts written under a new source and job, its ruleset registered by a service
    /// started for that (which leaves the consumer's queue declared on the broker) and stopped.
    /// </summary>
    private async Task<(string Source, string JobId, IReadOnlyList<string> Keys)> RegisterOrdersAsync()
    {
        var source = "orders-" + Guid.NewGuid().ToString("N");
        var jobId = Guid.NewGuid().ToString();
        await using var host = await StartHostAsync();
        var keys = await OrdersDataset.WritePartsAsync(host.Services.GetRequiredService<IObjectStore>(), source, jobId);
        await host.Client.RegisterRulesetAsync(new RegisterRulesetRequest { Source = source, RulesetText = OrdersDataset.Ruleset });
        return (source, jobId, keys);
    }

    /// <summary>A bus of the test's own on the broker, as an ingestion service would publish from; it consumes nothing.</summary>
    private static async Task<ClientBus> StartClientBusAsync()
    {
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(transport => transport.Host(new Uri(RabbitMqBroker.Uri)));
        await bus.StartAsync(new CancellationTokenSource(DatasetValidatedRecorder.Timeout).Token);
        return new ClientBus(bus);
    }

    private sealed class ClientBus(IBusControl bus) : IAsyncDisposable
    {
        public IBusControl Bus => bus;

        public async ValueTask DisposeAsync() => await bus.StopAsync();
    }

    /// <summary>An object store whose reads wait until the test opens it, or until they are cancelled.</summary>
    private sealed class GateObjectStore(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _cancelled;

        /// <summary>Set when a read has begun to wait.</summary>
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Whether a waiting read was cancelled.</summary>
        public bool Cancelled => _cancelled;

        public void OpenAfter(TimeSpan delay) => _ = Task.Delay(delay).ContinueWith(_ => _open.TrySetResult(), TaskScheduler.Default);

        public override async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default)
        {
            Entered.TrySetResult();
            try
            {
                await _open.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                _cancelled = true;
                throw;
            }
            return await base.OpenReadAsync(key, cancellationToken);
        }
    }
}
