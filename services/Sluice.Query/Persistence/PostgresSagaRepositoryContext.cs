using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Saga;

namespace Sluice.Query.Persistence;

/// <summary>
/// What MassTransit's saga pipes (SendSagaPipe, MissingSagaPipe) do to the repository while one
/// message is handled: load, add, insert, update, delete, all in the message's transaction.
/// </summary>
public sealed class PostgresSagaRepositoryContext<TSaga, TMessage> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISaga
    where TMessage : class
{
    private readonly PostgresSagaSession<TSaga> _session;
    private readonly ConsumeContext<TMessage> _consumeContext;
    private readonly ISagaConsumeContextFactory<PostgresSagaSession<TSaga>, TSaga> _factory;

    public PostgresSagaRepositoryContext(PostgresSagaSession<TSaga> session, ConsumeContext<TMessage> consumeContext,
        ISagaConsumeContextFactory<PostgresSagaSession<TSaga>, TSaga> factory)
        : base(consumeContext, session)
    {
        _session = session;
        _consumeContext = consumeContext;
        _factory = factory;
    }

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> context, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        _factory.CreateSagaConsumeContext(_session, context, instance, mode);

    /// <summary>A new instance for a message the policy lets create one; written by <see cref="Save"/> once the saga has handled it.</summary>
    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        _factory.CreateSagaConsumeContext(_session, _consumeContext, instance, SagaConsumeContextMode.Add);

    /// <summary>Inserted before the message is handled (a policy that pre-inserts); an existing instance is loaded instead.</summary>
    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        if (await _session.TryInsertAsync(instance, CancellationToken).ConfigureAwait(false))
        {
            return await _factory.CreateSagaConsumeContext(_session, _consumeContext, instance, SagaConsumeContextMode.Insert).ConfigureAwait(false);
        }
        return (await Load(instance.CorrelationId).ConfigureAwait(false))!;
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = await _session.LoadAsync(correlationId, CancellationToken).ConfigureAwait(false);
        return instance is null
            ? null!
            : await _factory.CreateSagaConsumeContext(_session, _consumeContext, instance, SagaConsumeContextMode.Load).ConfigureAwait(false);
    }

    public Task Save(SagaConsumeContext<TSaga> context) => _session.InsertAsync(context.Saga, CancellationToken);

    public Task Update(SagaConsumeContext<TSaga> context) => _session.UpdateAsync(context.Saga, CancellationToken);

    public Task Delete(SagaConsumeContext<TSaga> context) => _session.DeleteAsync(context.Saga, CancellationToken);

    /// <summary>A new instance completed by its first message, or one whose handling failed: never written.</summary>
    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    /// <summary>A read-only policy's instance: nothing written, and the transaction's end releases it.</summary>
    public Task Undo(SagaConsumeContext<TSaga> context) => Task.CompletedTask;
}

/// <summary>Loads instances outside message handling (ILoadSagaRepository: tests, tooling).</summary>
public sealed class PostgresLoadSagaRepositoryContext<TSaga>(PostgresSagaSession<TSaga> session, CancellationToken cancellationToken)
    : BasePipeContext(cancellationToken), LoadSagaRepositoryContext<TSaga>
    where TSaga : class, ISaga
{
    public Task<TSaga> Load(Guid correlationId) => session.LoadAsync(correlationId, CancellationToken)!;
}
