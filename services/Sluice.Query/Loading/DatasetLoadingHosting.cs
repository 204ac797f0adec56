using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Sluice.Query.Engines;
using Sluice.Query.Engines.DuckDb;
using Sluice.Query.Statements;
using Sluice.ServiceDefaults;

namespace Sluice.Query.Loading;

/// <summary>Options of the load step, bound from "Sluice:Query:Loading".</summary>
public sealed class DatasetLoadingOptions
{
    public const string SectionName = "Sluice:Query:Loading";

    /// <summary>The database tables are loaded into; null uses the engine's default database, or dev.</summary>
    public string? Database { get; set; }

    /// <summary>Rows per INSERT statement of the C# loader (engines other than DuckDB's lake). Defaults to 500.</summary>
    public int BatchRows { get; set; } = 500;

    /// <summary>Loads running at once (loads into one table still run one at a time). Defaults to 1.</summary>
    public int MaxConcurrentLoads { get; set; } = 1;

    /// <summary>Retries of a load that failed for a reason other than the data. Defaults to 3.</summary>
    public int RetryLimit { get; set; } = 3;

    /// <summary>The wait before each retry. Defaults to 2 seconds.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>The load step of the ingestion pipeline: a passing DatasetValidated becomes rows of the warehouse table named after its source.</summary>
public static class DatasetLoadingHosting
{
    /// <summary>Registers the object store (Sluice:ObjectStore) and contributes the DatasetValidated consumer to the host's bus.</summary>
    public static IHostApplicationBuilder AddDatasetLoading(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatasetLoadingOptions>().BindConfiguration(DatasetLoadingOptions.SectionName)
            .Validate(o => o.BatchRows is > 0 and <= 10_000, "Sluice:Query:Loading:BatchRows must be between 1 and 10000.")
            .Validate(o => o.MaxConcurrentLoads is > 0 and <= 64, "Sluice:Query:Loading:MaxConcurrentLoads must be between 1 and 64.")
            .Validate(o => o.RetryLimit is >= 0 and <= 100, "Sluice:Query:Loading:RetryLimit must be between 0 and 100.")
            .Validate(o => o.RetryInterval >= TimeSpan.Zero && o.RetryInterval <= TimeSpan.FromHours(1), "Sluice:Query:Loading:RetryInterval must be between 0 and 1 hour.")
            .ValidateOnStart();
        builder.AddSluiceObjectStore();
        // Several services of one host register the object store and its health check; keep one check.
        builder.Services.PostConfigure<HealthCheckServiceOptions>(checks =>
        {
            foreach (var duplicate in checks.Registrations.Where(r => r.Name == "object-store").Skip(1).ToList())
            {
                checks.Registrations.Remove(duplicate);
            }
        });
        // On DuckDB with the lake, the load is a statement reading the job's parts in place;
        // elsewhere (the PostgreSQL warehouse) the C# loader reads them and inserts the rows.
        builder.Services.AddSingleton<StatementEnds>();
        builder.Services.AddSingleton<IStatementLifecycleObserver>(sp => sp.GetRequiredService<StatementEnds>());
        builder.Services.AddSingleton<IDatasetLoader>(sp => sp.GetRequiredService<ISqlEngine>() is DuckDbSqlEngine { Lake: { } lake } duckDb
            ? ActivatorUtilities.CreateInstance<LakeDatasetLoader>(sp, duckDb, lake)
            : ActivatorUtilities.CreateInstance<DatasetLoader>(sp));
        builder.AddSluiceBusParticipant(bus => bus.AddConsumer<DatasetValidatedLoadConsumer, DatasetValidatedLoadConsumerDefinition>());
        return builder;
    }
}
