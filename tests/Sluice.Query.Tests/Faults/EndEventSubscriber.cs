using MassTransit;
using Sluice.Contracts.Messages;

namespace Sluice.Query.Tests.Faults;

/// <summary>
/// A subscriber to the statements' public end events (StatementFinished, StatementFailed,
/// StatementAborted) on its own RabbitMQ bus, in this process: it outlives the query services the
/// fault tests stop and kill. Like a real consumer with an inbox it drops a message id it has seen
/// (a republish), and counts what it dropped; two different message ids for one statement are
/// two events, which the tests refuse.
/// </summary>
public sealed class EndEventSubscriber : IAsyncDisposable
{
    private readonly IBusControl _bus;
    private readonly Lock _sync = new();
    private readonly HashSet<Guid> _seenMessageIds = [];
    private readonly Dictionary<string, List<EndEvent>> _ends = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _duplicatesDropped = new(StringComparer.Ordinal);

    private EndEventSubscriber(string rabbitMqUri, string? durableQueue)
    {
        _bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(transport =>
        {
            transport.Host(new Uri(rabbitMqUri));
            // A temporary queue of its own, deleted by the broker when the subscriber stops; or a
            // durable one, which outlives a broker restart with the events it holds.
            void Configure(IRabbitMqReceiveEndpointConfigurator endpoint)
            {
                // One at a time, in queue order: once a sentinel is recorded, everything queued before it is.
                endpoint.ConcurrentMessageLimit = 1;
                endpoint.Handler<StatementFinished>(c => Record(c, c.Message.StatementId, "FINISHED", null));
                endpoint.Handler<StatementFailed>(c => Record(c, c.Message.StatementId, "FAILED", c.Message.Error));
                endpoint.Handler<StatementAborted>(c => Record(c, c.Message.StatementId, "ABORTED", c.Message.Reason));
            }
            if (durableQueue is null)
            {
                transport.ReceiveEndpoint(new TemporaryEndpointDefinition(), Configure);
            }
            else
            {
                transport.ReceiveEndpoint(durableQueue, Configure);
            }
        });
    }

    /// <summary>The bus the subscriber runs on, for sending commands from the test.</summary>
    public IBus Bus => _bus;

    /// <summary>Republished messages (an id seen before) the subscriber dropped, in all.</summary>
    public int DuplicatesDropped
    {
        get
        {
            lock (_sync)
            {
                return _duplicatesDropped.Values.Sum();
            }
        }
    }

    /// <summary>How many of <paramref name="statementIds"/> have an end event.</summary>
    public int EndedOf(IEnumerable<string> statementIds)
    {
        lock (_sync)
        {
            return statementIds.Count(_ends.ContainsKey);
        }
    }

    /// <summary>Republished messages the subscriber dropped for one statement.</summary>
    public int DuplicatesDroppedOf(string statementId)
    {
        lock (_sync)
        {
            return _duplicatesDropped.GetValueOrDefault(statementId);
        }
    }

    /// <summary>
    /// Publishes a sentinel end and waits for it: whatever reached the subscriber's queue before
    /// (a publish the broker confirmed earlier) has then been recorded.
    /// </summary>
    public async Task CatchUpAsync(TimeSpan timeout)
    {
        var sentinel = Guid.NewGuid().ToString();
        await _bus.Publish(new StatementAborted { StatementId = sentinel, Reason = "sentinel", AbortedAt = DateTimeOffset.UtcNow });
        await WaitForEndsAsync([sentinel], timeout);
    }

    /// <summary>Starts a subscriber on <paramref name="rabbitMqUri"/>; it hears whatever is published once this returns.</summary>
    public static async Task<EndEventSubscriber> StartAsync(string rabbitMqUri, string? durableQueue = null)
    {
        var subscriber = new EndEventSubscriber(rabbitMqUri, durableQueue);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await subscriber._bus.StartAsync(timeout.Token);
        return subscriber;
    }

    /// <summary>The distinct end events (after dropping republished ids) received for a statement.</summary>
    public IReadOnlyList<EndEvent> EndsOf(string statementId)
    {
        lock (_sync)
        {
            return _ends.TryGetValue(statementId, out var ends) ? [.. ends] : [];
        }
    }

    /// <summary>Waits until every statement in <paramref name="statementIds"/> has an end event, failing with those that have none.</summary>
    public async Task WaitForEndsAsync(IReadOnlyCollection<string> statementIds, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            List<string> missing;
            lock (_sync)
            {
                missing = statementIds.Where(id => !_ends.ContainsKey(id)).ToList();
            }
            if (missing.Count == 0)
            {
                return;
            }
            Assert.False(cancel.IsCancellationRequested,
                $"{missing.Count} of {statementIds.Count} statements had no end event within {timeout.TotalSeconds} s, e.g. {string.Join(", ", missing.Take(5))}.");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();

    private Task Record(ConsumeContext context, string statementId, string status, string? reason)
    {
        lock (_sync)
        {
            if (context.MessageId is { } messageId && !_seenMessageIds.Add(messageId))
            {
                _duplicatesDropped[statementId] = _duplicatesDropped.GetValueOrDefault(statementId) + 1;
                return Task.CompletedTask;
            }
            if (!_ends.TryGetValue(statementId, out var ends))
            {
                _ends[statementId] = ends = [];
            }
            ends.Add(new EndEvent(status, reason, context.MessageId));
        }
        return Task.CompletedTask;
    }
}

/// <summary>A statement's end as a subscriber received it.</summary>
public sealed record EndEvent(string Status, string? Reason, Guid? MessageId);
