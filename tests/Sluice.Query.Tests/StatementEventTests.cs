using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts.Messages;
using Sluice.Query.V1;

namespace Sluice.Query.Tests;

/// <summary>Statement messages on the bus of a hosted query service: submission by message and completion events.</summary>
public sealed class StatementEventTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SubmitStatement_ByMessageToTheHostedService_PublishesStatementFinishedWithRowCount()
    {
        await using var host = await QueryHost.StartAsync(new Dictionary<string, string?>());
        await using var events = await EventRecorder.StartAsync(host);
        var id = Guid.NewGuid().ToString();

        await events.Bus.Publish(new SubmitStatement { StatementId = id, Database = "dev", Sql = "SELECT * FROM sales WHERE id <= :n", Parameters = new Dictionary<string, string> { ["n"] = "25" } });
        var end = await events.FinishedAsync(id);

        Assert.Equal(25, end.RowCount);
        Assert.True(end.HasResultSet);
    }

    [Fact]
    public async Task SubmitStatement_InvalidByMessage_PublishesStatementFailed()
    {
        await using var host = await QueryHost.StartAsync(new Dictionary<string, string?>());
        await using var events = await EventRecorder.StartAsync(host);
        var id = Guid.NewGuid().ToString();

        await events.Bus.Publish(new SubmitStatement { StatementId = id, Database = "dev", Sql = "SELECT :missing" });
        var end = await events.FailedAsync(id);

        Assert.Contains(":missing", end.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteStatement_WithEventOrNot_PublishesTheCompletionEventOnlyWhenAsked()
    {
        await using var host = await QueryHost.StartAsync(new Dictionary<string, string?>());
        await using var events = await EventRecorder.StartAsync(host);

        var silent = await host.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT * FROM sales WHERE id <= 3" });
        var silentEnd = await events.EndedAsync(silent.Id);
        var announced = await host.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT * FROM sales WHERE id <= 4", WithEvent = true });
        var announcedFinished = await events.FinishedAsync(announced.Id);
        var announcedEnd = await events.EndedAsync(announced.Id);

        // The public event is published before StatementEnded and the recorder handles messages in
        // order, so had one been published for the first statement it would have been seen already.
        Assert.False(events.SawFinished(silent.Id));
        Assert.Equal(("FINISHED", false), (silentEnd.Status, silentEnd.WithEvent));
        Assert.Equal(4, announcedFinished.RowCount);
        Assert.True(announcedEnd.WithEvent);
    }

    /// <summary>Submission by message through the Redshift engine: the saga re-checks the remote statement until it ends.</summary>
    [Fact]
    public async Task SubmitStatement_ByMessageOnTheRedshiftEngine_PublishesStatementFinishedWithRowCount()
    {
        var fixture = new RedshiftEngineFixture();
        await fixture.InitializeAsync();
        try
        {
            await using var events = await EventRecorder.StartAsync(fixture.Host);
            var id = Guid.NewGuid().ToString();
            // Slow enough remotely that the first re-checks find it still running.
            const string Sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT x FROM c WHERE x % 10000 = 0";

            await events.Bus.Publish(new SubmitStatement { StatementId = id, Database = "dev", Sql = Sql });
            var end = await events.FinishedAsync(id);
            var described = await fixture.Host.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id });

            Assert.Equal(30, end.RowCount);
            Assert.True(end.HasResultSet);
            // Only a re-check can end a remote statement: finishing at all shows the saga drove it.
            Assert.Equal(StatementStatus.Finished, described.Status);
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    /// <summary>Records the statement events a host's bus carries, handled one at a time in arrival order.</summary>
    private sealed class EventRecorder : IAsyncDisposable
    {
        private readonly HostReceiveEndpointHandle _handle;
        private readonly Dictionary<string, TaskCompletionSource<object>> _waits = [];
        private readonly List<object> _seen = [];
        private readonly Lock _sync = new();

        private EventRecorder(IBus bus, Func<EventRecorder, HostReceiveEndpointHandle> connect)
        {
            Bus = bus;
            _handle = connect(this);
        }

        public IBus Bus { get; }

        public static async Task<EventRecorder> StartAsync(QueryHost host)
        {
            var bus = host.Services.GetRequiredService<IBus>();
            var recorder = new EventRecorder(bus, self => bus.ConnectReceiveEndpoint("events-test-" + Guid.NewGuid().ToString("N"), endpoint =>
            {
                endpoint.ConcurrentMessageLimit = 1;
                endpoint.Handler<StatementFinished>(context => self.Record(context.Message.StatementId, context.Message));
                endpoint.Handler<StatementFailed>(context => self.Record(context.Message.StatementId, context.Message));
                endpoint.Handler<StatementEnded>(context => self.Record(context.Message.StatementId, context.Message));
            }));
            await recorder._handle.Ready.WaitAsync(Timeout);
            return recorder;
        }

        public async Task<StatementFinished> FinishedAsync(string id) => (StatementFinished)await WaitAsync(id, typeof(StatementFinished));

        public async Task<StatementFailed> FailedAsync(string id) => (StatementFailed)await WaitAsync(id, typeof(StatementFailed));

        public async Task<StatementEnded> EndedAsync(string id) => (StatementEnded)await WaitAsync(id, typeof(StatementEnded));

        public bool SawFinished(string id)
        {
            lock (_sync)
            {
                return _seen.OfType<StatementFinished>().Any(m => m.StatementId == id);
            }
        }

        public async ValueTask DisposeAsync() => await _handle.StopAsync();

        private Task Record(string id, object message)
        {
            lock (_sync)
            {
                _seen.Add(message);
                Wait(id, message.GetType()).TrySetResult(message);
            }
            return Task.CompletedTask;
        }

        private Task<object> WaitAsync(string id, Type type)
        {
            lock (_sync)
            {
                return Wait(id, type).Task.WaitAsync(Timeout);
            }
        }

        private TaskCompletionSource<object> Wait(string id, Type type)
        {
            var key = type.Name + "/" + id;
            if (!_waits.TryGetValue(key, out var wait))
            {
                wait = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waits[key] = wait;
            }
            return wait;
        }
    }
}
