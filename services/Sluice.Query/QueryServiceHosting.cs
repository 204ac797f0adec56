using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.ObjectStore;
using Sluice.Query.DataApi;
using Sluice.Query.Engines;
using Sluice.Query.Engines.DuckDb;
using Sluice.Query.Engines.Redshift;
using Sluice.Query.Grpc;
using Sluice.Query.Loading;
using Sluice.Query.Persistence;
using Sluice.Query.Replicas;
using Sluice.Query.StateMachines;
using Sluice.Query.Statements;
using Sluice.Query.V1;
using Sluice.ServiceDefaults;

namespace Sluice.Query;

/// <summary>Composition of the Query service: what it registers and what it serves.</summary>
public static class QueryServiceHosting
{
    /// <summary>
    /// Registers the statement manager on the engine chosen by Sluice:Query:Engine, the gRPC
    /// service, the Data API listener (Sluice:Query:DataApiPort), and contributes the statement
    /// saga and SubmitStatement consumer to the host's bus (the host then calls AddSluiceBus).
    /// </summary>
    public static IHostApplicationBuilder AddQueryService(this IHostApplicationBuilder builder)
    {
        builder.AddSluiceServiceDefaults();
        var services = builder.Services;
        services.AddOptions<QueryOptions>().BindConfiguration(QueryOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISqlEngine>(CreateEngine);
        var store = builder.AddQueryStateStore();
        // The lake's store: the same section the ingestion service lands parts with.
        services.AddSluiceObjectStore(builder.Configuration.GetSection(ObjectStoreOptions.SectionName));
        services.TryAddSingleton<StatementOutbox>();
        services.TryAddSingleton<IStatementStore>(store == StateStoreKind.Postgres
            ? sp => new PostgresStatementStore(sp.GetRequiredService<PostgresStateDatabase>(), sp.GetRequiredService<ReplicaServices>().ReplicaId,
                sp.GetRequiredService<StatementOutbox>())
            : _ => new InMemoryStatementStore());
        services.TryAddSingleton<IMessageInbox>(store == StateStoreKind.Postgres
            ? sp => new PostgresMessageInbox(sp.GetRequiredService<PostgresStateDatabase>(), sp.GetRequiredService<TimeProvider>())
            : sp => new InMemoryMessageInbox(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<StatementManager>();
        services.TryAddSingleton<QueryOperations>();
        services.TryAddSingleton<QueryGrpcService>();
        services.AddRpcExceptionMapper<QueryRpcExceptionMapper>();
        services.AddHealthChecks().AddCheck<WarehouseHealthCheck>("warehouse", tags: [WarehouseHealthCheck.Tag]);
        builder.AddSluiceServiceHealth(QueryService.Descriptor.FullName, WarehouseHealthCheck.Tag, HealthDefaults.BusTag, StateDatabaseHealthCheck.Tag);
        builder.AddQueryReplicas(store); // Before the recovery: the lease outlives its last writes.
        builder.AddStatementDrain();
        services.AddHostedService<StatementRecovery>();
        services.AddHostedService<StatementRetentionService>();
        services.AddHostedService<DemoSeeder>();
        builder.AddQueryDataApi();
        builder.AddStatementBus(store);
        builder.AddDatasetLoading(); // The ingestion pipeline's load step (Loading/).
        return builder;
    }

    public static IEndpointRouteBuilder MapQueryService(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapSluiceGrpcDefaults();
        endpoints.MapGrpcService<QueryGrpcService>();
        endpoints.MapQueryDataApi();
        return endpoints;
    }

    private static ISqlEngine CreateEngine(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<QueryOptions>>().Value;
        return options.Engine switch
        {
            QueryEngineKind.Postgres => new PostgresSqlEngine(options.PostgresConnectionString
                ?? throw new InvalidOperationException("Sluice:Query:Engine is Postgres but Sluice:Query:PostgresConnectionString is not set.")),
            QueryEngineKind.Redshift => new RedshiftSqlEngine(options.Redshift),
            _ => CreateDuckDb(services, options),
        };
    }

    private static DuckDbSqlEngine CreateDuckDb(IServiceProvider services, QueryOptions options)
    {
        if (!options.LakeEnabled)
        {
            return new DuckDbSqlEngine(options.DuckDbDirectory);
        }
        return new DuckDbSqlEngine(options.DuckDbDirectory, () =>
        {
            var lake = new LakeCatalog(services.GetRequiredService<IObjectStore>(), options.LakeCache, services.GetRequiredService<ILogger<LakeCatalog>>());
            return (lake, lake.Root);
        });
    }
}
