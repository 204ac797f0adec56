using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sluice.ObjectStore;
using Sluice.ServiceDefaults;
using Sluice.Validation.CustomSql;
using Sluice.Validation.Filtering;
using Sluice.Validation.Grpc;
using Sluice.Validation.Messaging;
using Sluice.Validation.Rulesets;
using Sluice.Validation.Schemas;
using Sluice.Validation.References;
using Sluice.Validation.Storage;

namespace Sluice.Validation;

/// <summary>Composition of the Validation service: what it registers and what it serves.</summary>
public static class ValidationServiceHosting
{
    /// <summary>
    /// Registers the schema and ruleset registries (SQLite under Sluice:Validation:DataDirectory),
    /// the object store (section Sluice:ObjectStore), the gRPC service and the DatasetLanded
    /// consumer on the host's bus (built by the host's AddSluiceBus). CustomSql rules run on an
    /// embedded DuckDB copy of each evaluated dataset (limits in Sluice:Validation:CustomSql), with warehouse tables
    /// used as reference datasets read through the query service (Sluice:Services:Query); an
    /// <see cref="Sluice.DataQuality.Evaluation.ICustomSqlRunner"/> registered before this call runs them instead.
    /// </summary>
    public static IHostApplicationBuilder AddValidationService(this IHostApplicationBuilder builder)
    {
        builder.AddSluiceServiceDefaults();
        builder.AddSluiceObjectStore();
        var services = builder.Services;
        services.AddOptions<ValidationOptions>().BindConfiguration(ValidationOptions.SectionName)
            .Validate(options => options.CustomSql.MaxRows > 0 && options.CustomSql.MaxBytes > 0,
                "Sluice:Validation:CustomSql:MaxRows and MaxBytes must be positive.")
            .Validate(options => options.CustomSql.StatementTimeout > TimeSpan.Zero && options.CustomSql.StatementTimeout.TotalMilliseconds <= int.MaxValue,
                "Sluice:Validation:CustomSql:StatementTimeout must be positive and at most 24.20:31:23.647.")
            .Validate(options => options.ReferenceTableTimeout > TimeSpan.Zero && options.ReferenceTableTimeout.TotalMilliseconds <= int.MaxValue,
                "Sluice:Validation:ReferenceTableTimeout must be positive and at most 24.20:31:23.647.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IValidationStore>(provider =>
            new SqliteValidationStore(provider.GetRequiredService<IOptions<ValidationOptions>>().Value.DatabasePath));
        services.TryAddSingleton<SchemaRegistry>();
        services.TryAddSingleton<RulesetRegistry>();
        services.TryAddSingleton<MetricHistory>();
        // Warehouse tables used as reference datasets are read through the query service (Sluice:Services:Query).
        builder.AddSluiceServiceClient<Sluice.Query.V1.QueryService.QueryServiceClient>("Query", WarehouseTableReader.ClientName, Sluice.Query.V1.QueryService.Descriptor,
            nameof(Sluice.Query.V1.QueryService.QueryServiceClient.DescribeStatement));
        services.TryAddSingleton<WarehouseTableReader>();
        services.TryAddSingleton<DuckDbDatasetCopies>();
        services.TryAddSingleton<DatasetEvaluator>();
        services.TryAddSingleton<ValidationGrpcService>();
        services.AddRpcExceptionMapper<ValidationRpcExceptionMapper>();
        builder.AddSluiceServiceHealth(V1.ValidationService.Descriptor.FullName, ObjectStoreHealthCheck.Tag, HealthDefaults.BusTag);
        // Opens (and creates) the registry at start, so a bad data directory stops the host at once.
        services.AddHostedService<ValidationStoreOpener>();
        builder.AddSluiceBusParticipant(bus => bus.AddConsumer<DatasetLandedConsumer, DatasetLandedConsumerDefinition>());
        return builder;
    }

    public static IEndpointRouteBuilder MapValidationService(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapSluiceGrpcDefaults();
        endpoints.MapGrpcService<ValidationGrpcService>();
        return endpoints;
    }

    private sealed class ValidationStoreOpener(IValidationStore store) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(store);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
