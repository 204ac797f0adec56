using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sluice.Query.Persistence;

/// <summary>Chooses and sets up the state store (Sluice:Query:State).</summary>
public static class StateStoreHosting
{
    /// <summary>
    /// Binds and checks Sluice:Query:State and, for PostgreSQL, registers the database, its health
    /// check (tag <see cref="StateDatabaseHealthCheck.Tag"/>) and the migration of its schema at
    /// start (before the bus starts handling messages). Returns the chosen store.
    /// </summary>
    public static StateStoreKind AddQueryStateStore(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(StateStoreOptions.SectionName);
        // Read now too: the saga's repository is chosen while the bus is composed, before options exist.
        var options = section.Get<StateStoreOptions>() ?? new StateStoreOptions();
        Validate(options);
        builder.Services.AddOptions<StateStoreOptions>().BindConfiguration(StateStoreOptions.SectionName);
        if (options.Store == StateStoreKind.Postgres)
        {
            builder.Services.AddSingleton<PostgresStateDatabase>();
            builder.Services.AddHostedService<StateSchemaMigration>();
            builder.Services.AddHealthChecks().AddCheck<StateDatabaseHealthCheck>("state-database", tags: [StateDatabaseHealthCheck.Tag]);
        }
        return options.Store;
    }

    private static void Validate(StateStoreOptions options)
    {
        if (!Enum.IsDefined(options.Store))
        {
            throw new InvalidOperationException($"Sluice:Query:State:Store '{options.Store}' is not supported: use Memory or Postgres.");
        }
        if (options.Store == StateStoreKind.Postgres && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new InvalidOperationException("Sluice:Query:State:Store is Postgres but Sluice:Query:State:ConnectionString is not set.");
        }
        if (options.ConnectionString is { Length: > 0 } connectionString)
        {
            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            }
            catch (ArgumentException exception)
            {
                throw new InvalidOperationException($"Sluice:Query:State:ConnectionString is not a valid Npgsql connection string: {exception.Message}");
            }
        }
        if (options.StartTimeout <= TimeSpan.Zero || options.StartTimeout > TimeSpan.FromHours(1))
        {
            throw new InvalidOperationException($"Sluice:Query:State:StartTimeout must be positive and at most 1 hour, not {options.StartTimeout}.");
        }
    }
}

/// <summary>Brings the state database's schema up to date when the service starts, so a bad database fails the start.</summary>
internal sealed class StateSchemaMigration(PostgresStateDatabase database) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => database.EnsureSchemaAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
