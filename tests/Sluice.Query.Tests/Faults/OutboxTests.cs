using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sluice.Contracts.Messages;
using Sluice.Query.Persistence;
using Sluice.Query.V1;

namespace Sluice.Query.Tests.Faults;

/// <summary>
/// The durable profile's outbox (state in PostgreSQL, bus on RabbitMQ): a statement's end and its
/// events are written together, and a relay that fails between the write and the publish, or
/// between the publish and marking it sent, loses nothing and, after the subscriber's dedupe by
/// message id, delivers the event once.
/// </summary>
[Collection(RabbitMqBroker.Collection)]
public sealed class OutboxTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private TestPostgresDatabase _state = null!;
    private EndEventSubscriber _subscriber = null!;

    public async Task InitializeAsync()
    {
        _state = await TestPostgresDatabase.CreateAsync("sluice_outbox_");
        _subscriber = await EndEventSubscriber.StartAsync(RabbitMqBroker.Uri);
    }

    public async Task DisposeAsync()
    {
        await _subscriber.DisposeAsync();
        await _state.DisposeAsync();
    }

    [Fact]
    public async Task Relay_FailsBeforePublishingThenServiceRestarts_EventDeliveredOnceFromTheOutbox()
    {
        var fault = new RelayFault(beforePublish: true, times: int.MaxValue);
        string id;
        await using (var crashing = await StartAsync(fault))
        {
            id = (await crashing.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT 42 AS answer", WithEvent = true })).Id;
            Assert.Equal(StatementStatus.Finished, (await crashing.Client.WaitForEndAsync(id)).Status);
            // The end and its event were written together; the relay reached the event and failed before publishing it.
            await WaitForOutboxAsync(id, sent: false);
            await fault.WaitForFinishedEventAsync();
            Assert.Empty(_subscriber.EndsOf(id));
        }
        Assert.Equal(1, await OutboxCountAsync(id, sent: false));

        await using var restarted = await StartAsync(fault: null);
        await _subscriber.WaitForEndsAsync([id], Timeout);
        await WaitForOutboxAsync(id, sent: true);
        await _subscriber.CatchUpAsync(Timeout);

        var end = Assert.Single(_subscriber.EndsOf(id));
        Assert.Equal("FINISHED", end.Status);
        Assert.Equal(0, _subscriber.DuplicatesDroppedOf(id));
        Assert.Equal(StatementStatus.Finished, (await restarted.Client.DescribeStatementAsync(new DescribeStatementRequest { Id = id })).Status);
    }

    [Fact]
    public async Task Relay_FailsAfterPublishingBeforeMarkingSent_RepublishesWithTheSameMessageIdAndTheSubscriberDropsIt()
    {
        var fault = new RelayFault(beforePublish: false, times: 1);
        await using var host = await StartAsync(fault);

        var id = (await host.Client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "dev", Sql = "SELECT 7 AS answer", WithEvent = true })).Id;
        await _subscriber.WaitForEndsAsync([id], Timeout);
        await WaitForOutboxAsync(id, sent: true);
        await _subscriber.CatchUpAsync(Timeout);

        // Published twice (the failed pass and the next), with one message id: one event after the dedupe.
        await fault.WaitForFinishedEventAsync();
        Assert.Equal(1, _subscriber.DuplicatesDroppedOf(id));
        var end = Assert.Single(_subscriber.EndsOf(id));
        Assert.Equal("FINISHED", end.Status);
    }

    private Task<QueryHost> StartAsync(RelayFault? fault) => QueryHost.StartAsync(new Dictionary<string, string?>(),
        new Dictionary<string, string?>(RabbitMqBroker.BusConfiguration())
        {
            ["Sluice:Query:State:Store"] = "Postgres",
            ["Sluice:Query:State:ConnectionString"] = _state.ConnectionString,
        },
        services =>
        {
            if (fault is not null)
            {
                services.AddSingleton<IOutboxRelayFaults>(fault);
            }
        });

    private async Task WaitForOutboxAsync(string id, bool sent)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (await OutboxCountAsync(id, sent) == 0)
        {
            Assert.False(timeout.IsCancellationRequested, $"The outbox held no {(sent ? "sent" : "pending")} StatementFinished of {id} within {Timeout.TotalSeconds} s.");
            await Task.Delay(50);
        }
    }

    private async Task<long> OutboxCountAsync(string id, bool sent)
    {
        await using var connection = new NpgsqlConnection(_state.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand(
            $"SELECT count(*) FROM sluice_query.outbox WHERE ordering_key = $1 AND message_type = $2 AND (sent_at IS NOT NULL) = $3", connection)
        {
            Parameters = { new() { Value = id }, new() { Value = typeof(StatementFinished).FullName! }, new() { Value = sent } },
        };
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>Fails the relay's pass (as a process dying there would end it) at one point, for batches holding a StatementFinished.</summary>
    private sealed class RelayFault(bool beforePublish, int times) : IOutboxRelayFaults
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _left = times;

        public Task WaitForFinishedEventAsync() => _reached.Task.WaitAsync(Timeout);

        public Task BeforePublishAsync(IReadOnlySet<Type> types, CancellationToken cancellationToken) => beforePublish ? FailAsync(types) : Task.CompletedTask;

        public Task BeforeMarkingSentAsync(IReadOnlySet<Type> types, CancellationToken cancellationToken) => beforePublish ? Task.CompletedTask : FailAsync(types);

        private Task FailAsync(IReadOnlySet<Type> types)
        {
            if (!types.Contains(typeof(StatementFinished)) || Interlocked.Decrement(ref _left) < 0)
            {
                return Task.CompletedTask;
            }
            _reached.TrySetResult();
            throw new InvalidOperationException("Injected fault: the relay stops here.");
        }
    }
}
