using MassTransit;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Sluice.Ingestion.Grpc;
using Sluice.Ingestion.Jobs;
using Sluice.Ingestion.Messaging;
using Sluice.Ingestion.Scheduling;
using Sluice.Ingestion.Sources;
using Sluice.Ingestion.Storage;
using Sluice.Ingestion.Streams;
using Sluice.Ingestion.Triggers;
using Sluice.ObjectStore;
using Sluice.ServiceDefaults;

namespace Sluice.Ingestion;

/// <summary>Composition of the Ingestion service: what it registers and what it serves.</summary>
public static class IngestionServiceHosting
{
    /// <summary>
    /// Registers the source registry and job store (SQLite under Sluice:Ingestion:DataDirectory),
    /// the object store (Sluice:ObjectStore), the job runners, the scheduler, the gRPC service, and
    /// contributes the StartIngestion consumer and the pipeline followers to the host's bus.
    /// </summary>
    public static IHostApplicationBuilder AddIngestionService(this IHostApplicationBuilder builder)
    {
        builder.AddSluiceServiceDefaults();
        builder.AddSluiceObjectStore();
        var services = builder.Services;
        // Several services of one host register the object store and its health check; keep one check.
        services.PostConfigure<HealthCheckServiceOptions>(checks =>
        {
            foreach (var duplicate in checks.Registrations.Where(r => r.Name == "object-store").Skip(1).ToList())
            {
                checks.Registrations.Remove(duplicate);
            }
        });
        services.AddOptions<IngestionOptions>().BindConfiguration(IngestionOptions.SectionName)
            .Validate(o => o.MaxConcurrentJobs is > 0 and <= 256, "Sluice:Ingestion:MaxConcurrentJobs must be between 1 and 256.")
            .Validate(o => o.PartBytes >= 1024, "Sluice:Ingestion:PartBytes must be at least 1024.")
            .Validate(o => o.MaxPageBytes is >= 1024 and <= int.MaxValue, "Sluice:Ingestion:MaxPageBytes must be between 1024 and 2147483647.")
            .Validate(o => o.MaxDefinitionLength > 0, "Sluice:Ingestion:MaxDefinitionLength must be positive.")
            .Validate(o => o.SchedulePollInterval >= TimeSpan.FromMilliseconds(10), "Sluice:Ingestion:SchedulePollInterval must be at least 10 ms.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "Sluice:Ingestion:DataDirectory is required.")
            .Validate(o => o.Streams.ShardRecordsPerSecond > 0, "Sluice:Ingestion:Streams:ShardRecordsPerSecond must be positive.")
            .Validate(o => o.Streams.ShardBytesPerSecond >= StreamLimits.MaxRecordBytes, "Sluice:Ingestion:Streams:ShardBytesPerSecond must be at least 1 MiB (one record's limit).")
            .Validate(o => o.Streams.MaxShards is > 0 and <= 1024, "Sluice:Ingestion:Streams:MaxShards must be between 1 and 1024.")
            .Validate(o => o.Streams.PartBytes >= 1024, "Sluice:Ingestion:Streams:PartBytes must be at least 1024.")
            .Validate(o => o.Streams.PartMaxAge >= TimeSpan.Zero, "Sluice:Ingestion:Streams:PartMaxAge must not be negative.")
            .Validate(o => o.Streams.FlushInterval >= TimeSpan.FromMilliseconds(10), "Sluice:Ingestion:Streams:FlushInterval must be at least 10 ms.")
            .Validate(o => o.Triggers.PollInterval >= TimeSpan.FromMilliseconds(10), "Sluice:Ingestion:Triggers:PollInterval must be at least 10 ms.")
            .Validate(o => o.Triggers.MaxObjectBytes is >= 1 and <= 1024L * 1024 * 1024, "Sluice:Ingestion:Triggers:MaxObjectBytes must be between 1 and 1073741824 (1 GiB).")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(provider => new IngestionStore(provider.GetRequiredService<IOptions<IngestionOptions>>().Value.DatabasePath));
        services.TryAddSingleton<SourceDefinitionParser>();
        services.TryAddSingleton<SourceRegistry>();
        services.TryAddSingleton<JobNotifier>();
        services.TryAddSingleton<JobManager>();
        services.TryAddSingleton<JobRunner>();
        services.TryAddSingleton<IngestionGrpcService>();
        services.TryAddSingleton<StreamRegistry>();
        services.TryAddSingleton<StreamLanding>();
        services.TryAddSingleton<StreamRecordWriter>();
        // A PutRecords batch may hold 5 MiB of records; the server-wide default is 4 MB.
        services.AddGrpc().AddServiceOptions<IngestionGrpcService>(grpc =>
            grpc.MaxReceiveMessageSize = Math.Max(grpc.MaxReceiveMessageSize ?? 0, StreamLimits.MaxBatchBytes + 1024 * 1024));
        // Sources with a ruleset register it with the validation service (Sluice:Services:Validation:Address).
        services.TryAddSingleton<RulesetSync>();
        builder.AddSluiceServiceClient<Validation.V1.ValidationService.ValidationServiceClient>("Validation", RulesetSync.ClientName,
            Validation.V1.ValidationService.Descriptor, nameof(Validation.V1.ValidationService.ValidationServiceClient.GetRuleset));
        services.AddRpcExceptionMapper<IngestionRpcExceptionMapper>();
        builder.AddSluiceServiceHealth(V1.IngestionService.Descriptor.FullName, ObjectStoreHealthCheck.Tag, HealthDefaults.BusTag);
        services.AddHostedService<JobWorker>();
        services.AddHostedService<ScheduleService>();
        services.AddHostedService<TriggerService>();
        services.AddHostedService<StreamFlusher>();
        builder.AddSluiceBusParticipant(bus =>
        {
            bus.AddConsumer<StartIngestionConsumer>();
            bus.AddConsumer<PipelineConsumers>();
        });
        return builder;
    }

    public static IEndpointRouteBuilder MapIngestionService(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapSluiceGrpcDefaults();
        endpoints.MapGrpcService<IngestionGrpcService>();
        return endpoints;
    }
}
