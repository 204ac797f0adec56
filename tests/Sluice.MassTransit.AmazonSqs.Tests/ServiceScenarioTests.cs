using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts.Messages;
using Sluice.ObjectStore;
using Sluice.Query.Tests;
using Sluice.Tests.Shared;
using Sluice.Validation.Tests;
using Sluice.Validation.V1;

namespace Sluice.Transports.AmazonSqs.Tests;

/// <summary>
/// The query service's statement-event scenarios (SubmitStatement to StatementFinished, the saga's
/// Redshift re-check loop) on the SQS transport: the same tests that run on the in-memory bus and
/// RabbitMQ, inherited. Each test gets a scope (queue and topic prefix) of its own.
/// </summary>
[Collection(FauxqsCollection.Name)]
public sealed class AmazonSqsStatementEventTests(FauxqsFixture fauxqs) : StatementEventTests
{
    private readonly string _scope = "q" + Guid.NewGuid().ToString("N")[..10];

    protected override IReadOnlyDictionary<string, string?> BusConfiguration() => fauxqs.BusConfiguration(_scope);
}

/// <summary>The saga's delayed re-checks on the SQS transport (DelaySeconds), inherited from the other transports' tests.</summary>
[Collection(FauxqsCollection.Name)]
public sealed class AmazonSqsStatementRecheckTests(FauxqsFixture fauxqs) : StatementRecheckTests
{
    private readonly string _scope = "r" + Guid.NewGuid().ToString("N")[..10];

    protected override IReadOnlyDictionary<string, string?> BusConfiguration() => fauxqs.BusConfiguration(_scope);
}

/// <summary>DatasetLanded -> DatasetValidated on the SQS transport, answered exactly once, across a restart of the consumer.</summary>
[Collection(FauxqsCollection.Name)]
public sealed class AmazonSqsDatasetLandedTests(FauxqsFixture fauxqs) : IDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(2);
    private readonly TestDirectories _directories = new();
    private readonly string _scope = "v" + Guid.NewGuid().ToString("N")[..10];

    public void Dispose() => _directories.Dispose();

    [Fact]
    public async Task DatasetLanded_OnSqs_AnsweredOnceWithScore()
    {
        var (source, jobId, keys) = await RegisterOrdersAsync();
        await using var host = await StartHostAsync();
        await using var answers = await DatasetValidatedRecorder.StartAsync(host);

        await answers.Bus.Publish(new DatasetLanded { JobId = jobId, Source = source, ObjectKeys = keys, RecordCount = 5, LandedAt = DateTimeOffset.UtcNow });
        var validated = await answers.OnlyAnswerAsync(jobId);

        Assert.Equal(DatasetValidationStatus.Scored, validated.Status);
        Assert.Equal(OrdersDataset.ExpectedScore, validated.Score!.Value, 1e-9);
    }

    /// <summary>
    /// The service stops while it evaluates and the evaluation outlasts the consumer stop timeout:
    /// the delivery is neither completed nor faulted, SQS hands it to the next service to start,
    /// which answers it, once (marked redelivered by its receive count).
    /// </summary>
    [Fact]
    public async Task DatasetLanded_ServiceStoppedMidEvaluation_AnsweredOnceByTheNextToStart()
    {
        var (source, jobId, keys) = await RegisterOrdersAsync();
        var gate = new GateObjectStore(new LocalDirectoryObjectStore(_directories.Objects));
        var first = await StartHostAsync(services =>
        {
            services.AddSingleton<IObjectStore>(gate);
            services.PostConfigure<MassTransitHostOptions>(options => options.ConsumerStopTimeout = StopTimeout);
        });
        // The recorder lives on a bus that outlives both services.
        await using var client = await BusHarness.StartAsync(fauxqs.HostSettings(_scope), _ => { });
        await using var answers = await DatasetValidatedRecorder.StartAsync(client.Bus);
        try
        {
            await answers.Bus.Publish(new DatasetLanded { JobId = jobId, Source = source, ObjectKeys = keys, RecordCount = 5, LandedAt = DateTimeOffset.UtcNow });
            await gate.Entered.Task.WaitAsync(DatasetValidatedRecorder.Timeout);
        }
        finally
        {
            await first.DisposeAsync();
        }
        var answeredByTheFirst = answers.AnswersTo(jobId);
        await using var second = await StartHostAsync();
        var validated = await answers.OnlyAnswerAsync(jobId);

        Assert.Empty(answeredByTheFirst);
        Assert.True(gate.Cancelled, "The evaluation in the stopped service was not cancelled.");
        Assert.Equal(DatasetValidationStatus.Scored, validated.Status);
    }

    private Task<ValidationHost> StartHostAsync(Action<IServiceCollection>? configureServices = null) =>
        ValidationHost.StartAsync(_directories, new Dictionary<string, string?> { ["MaxConcurrentEvaluations"] = "1" }, configureServices,
            fauxqs.BusConfiguration(_scope));

    private async Task<(string Source, string JobId, IReadOnlyList<string> Keys)> RegisterOrdersAsync()
    {
        var source = "orders-" + Guid.NewGuid().ToString("N");
        var jobId = Guid.NewGuid().ToString();
        await using var host = await StartHostAsync();
        var keys = await OrdersDataset.WritePartsAsync(host.Services.GetRequiredService<IObjectStore>(), source, jobId);
        await host.Client.RegisterRulesetAsync(new RegisterRulesetRequest { Source = source, RulesetText = OrdersDataset.Ruleset });
        return (source, jobId, keys);
    }

    /// <summary>An object store whose reads wait until cancelled.</summary>
    private sealed class GateObjectStore(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        private volatile bool _cancelled;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Cancelled => _cancelled;

        public override async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default)
        {
            Entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
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
