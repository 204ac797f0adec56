using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts.Messages;
using Sluice.Query.Statements;

namespace Sluice.Query.Replicas;

/// <summary>Publishes <see cref="StatementCancelRequested"/>, which every replica receives on its own queue.</summary>
internal sealed class BusStatementCancelForwarder(IServiceProvider services, TimeProvider time) : IStatementCancelForwarder
{
    public Task RequestCancelAsync(string statementId, CancellationToken cancellationToken)
    {
        // Resolved per call: the bus is registered after the statement manager.
        var bus = services.GetService<IBus>() ?? throw new QueryException(QueryErrorType.DatabaseConnectionException,
            $"Statement '{statementId}' runs on another query service replica, and this host has no message bus (Sluice:Broker) to reach it.");
        return bus.Publish(new StatementCancelRequested { StatementId = statementId, RequestedAt = time.GetUtcNow() }, cancellationToken);
    }
}

/// <summary>Cancels a statement another replica was asked to cancel, when this replica runs it (the others ignore it).</summary>
public sealed class StatementCancelRequestedConsumer(StatementManager manager) : IConsumer<StatementCancelRequested>
{
    public async Task Consume(ConsumeContext<StatementCancelRequested> context)
    {
        if (manager.Holds(context.Message.StatementId))
        {
            await manager.CancelAsync(context.Message.StatementId).ConfigureAwait(false);
        }
    }
}
