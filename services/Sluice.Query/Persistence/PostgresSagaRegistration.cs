using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sluice.Query.Persistence;

/// <summary>Registers the PostgreSQL saga repository, as MassTransit's DapperRepository() and MartenRepository() do theirs.</summary>
public static class PostgresSagaRegistration
{
    /// <summary>
    /// Keeps <typeparamref name="TSaga"/> instances in the state database's saga table under
    /// <paramref name="sagaType"/>, with <paramref name="currentState"/> in the indexed state column.
    /// The container must hold a <see cref="PostgresStateDatabase"/>.
    /// </summary>
    public static ISagaRegistrationConfigurator<TSaga> PostgresRepository<TSaga>(this ISagaRegistrationConfigurator<TSaga> configurator, string sagaType,
        Func<TSaga, string?> currentState)
        where TSaga : class, ISaga
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sagaType);
        configurator.Repository(repository =>
        {
            repository.TryAddSingleton(new PostgresSagaTable<TSaga>(sagaType, currentState));
            repository.RegisterLoadSagaRepository<TSaga, PostgresSagaRepositoryContextFactory<TSaga>>();
            repository.RegisterSagaRepository<TSaga, PostgresSagaSession<TSaga>, SagaConsumeContextFactory<PostgresSagaSession<TSaga>, TSaga>,
                PostgresSagaRepositoryContextFactory<TSaga>>();
        });
        return configurator;
    }
}
