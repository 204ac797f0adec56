using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sluice.ObjectStore;
using Sluice.Query.Persistence;
using Sluice.ServiceDefaults;

namespace Sluice.Query.Replicas;

/// <summary>Sets up this process as one of several query service replicas (Sluice:Query:Replicas).</summary>
public static partial class ReplicaHosting
{
    /// <summary>
    /// Binds and checks Sluice:Query:Replicas and registers <see cref="ReplicaServices"/>. With the
    /// PostgreSQL state store it also registers the replica's lease (before the statement
    /// manager's recovery, so the lease is given back after its last writes) and its own
    /// temporary queue for cancel requests; results are shared through the object store when
    /// ShareResults is on. Call before the statement manager's recovery is registered.
    /// </summary>
    internal static void AddQueryReplicas(this IHostApplicationBuilder builder, StateStoreKind store)
    {
        var section = builder.Configuration.GetSection(ReplicaOptions.SectionName);
        var options = section.Get<ReplicaOptions>() ?? new ReplicaOptions();
        options.Validate();
        builder.Services.AddOptions<ReplicaOptions>().BindConfiguration(ReplicaOptions.SectionName);
        if (store != StateStoreKind.Postgres)
        {
            builder.Services.AddSingleton(ReplicaServices.Alone);
            return;
        }
        // Per process: a restarted service is a new replica, and takes over its predecessor's
        // statements once that lease is given back (clean stop) or expired (crash).
        var replicaId = $"{NotQueueSafe().Replace(Environment.MachineName.ToLowerInvariant(), "-")}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        builder.Services.AddSingleton<BusStatementCancelForwarder>();
        builder.Services.AddSingleton(sp =>
        {
            var query = sp.GetRequiredService<IOptions<QueryOptions>>().Value;
            var results = options.ShareResults
                ? new SharedResults(sp.GetRequiredService<IObjectStore>(), query.ResultsDirectory)
                : new SharedResults(null, query.ResultsDirectory);
            return new ReplicaServices(replicaId, options, results, sp.GetRequiredService<BusStatementCancelForwarder>());
        });
        builder.Services.AddHostedService<ReplicaLeaseService>();
        builder.AddSluiceBusParticipant(bus => bus.AddConsumer<StatementCancelRequestedConsumer>().Endpoint(endpoint =>
        {
            endpoint.Name = "query-replica-" + replicaId;
            endpoint.Temporary = true; // Deleted with the replica: no one else reads it.
        }));
    }

    [GeneratedRegex("[^a-z0-9-]")]
    private static partial Regex NotQueueSafe();
}
