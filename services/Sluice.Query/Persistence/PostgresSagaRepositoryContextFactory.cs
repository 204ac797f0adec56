using MassTransit;
using MassTransit.Saga;
using Npgsql;

namespace Sluice.Query.Persistence;

/// <summary>
/// Which saga type a <see cref="PostgresSagaRepositoryContextFactory{TSaga}"/> stores, and how
/// to read the state column of an instance (indexed, so instances can be found by state).
/// </summary>
public sealed record PostgresSagaTable<TSaga>(string SagaType, Func<TSaga, string?> CurrentState)
    where TSaga : class, ISaga;

/// <summary>
/// A MassTransit saga repository on PostgreSQL, shaped as MassTransit's own (Dapper, Marten): each
/// message is handled in one database transaction holding a <see cref="PostgresSagaRepositoryContext{TSaga,TMessage}"/>,
/// committed when the saga's pipe has finished.
/// </summary>
/// <remarks>
/// Concurrency is optimistic: an instance is loaded with its version and written back only if
/// that version is still current. A lost race throws <see cref="ConcurrencyException"/>, which
/// the saga endpoint's retry (see the state machine's definition) answers by handling the message
/// again on the winner's state; the in-memory outbox holds what the losing attempt sent, so
/// nothing is sent twice. Instances are found by correlation id only: MassTransit's saga queries
/// (CorrelateBy an expression) are refused rather than translated.
/// </remarks>
public sealed class PostgresSagaRepositoryContextFactory<TSaga>(
    PostgresStateDatabase database,
    PostgresSagaTable<TSaga> table,
    ISagaConsumeContextFactory<PostgresSagaSession<TSaga>, TSaga> factory)
    : ISagaRepositoryContextFactory<TSaga>, ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
{
    public void Probe(ProbeContext context) => context.Add("persistence", "postgresql");

    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class
    {
        await using var session = await BeginAsync(context.CancellationToken).ConfigureAwait(false);
        var repositoryContext = new PostgresSagaRepositoryContext<TSaga, T>(session, context, factory);
        await next.Send(repositoryContext).ConfigureAwait(false);
        await session.CommitAsync(context.CancellationToken).ConfigureAwait(false);
    }

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        throw new NotSupportedException(
            $"The PostgreSQL saga repository finds {typeof(TSaga).Name} instances by correlation id only; correlate {typeof(T).Name} with CorrelateById.");

    public async Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class
    {
        await using var session = await BeginAsync(cancellationToken).ConfigureAwait(false);
        var result = await asyncMethod(new PostgresLoadSagaRepositoryContext<TSaga>(session, cancellationToken)).ConfigureAwait(false);
        await session.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    private async Task<PostgresSagaSession<TSaga>> BeginAsync(CancellationToken cancellationToken)
    {
        var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            return new PostgresSagaSession<TSaga>(connection, transaction, table);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
