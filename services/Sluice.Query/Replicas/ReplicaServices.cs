namespace Sluice.Query.Replicas;

/// <summary>
/// What a statement manager needs to work beside other replicas on one state database: this
/// replica's id, its settings, where results are shared, and how a cancel reaches another replica.
/// </summary>
public sealed class ReplicaServices(string replicaId, ReplicaOptions options, SharedResults results, IStatementCancelForwarder? cancels)
{
    /// <summary>A replica alone (the embedded profile, or a manager built directly).</summary>
    public static ReplicaServices Alone { get; } = new("alone", new ReplicaOptions(), SharedResults.None, null);

    /// <summary>This process's replica id: the runner recorded with the statements it runs.</summary>
    public string ReplicaId { get; } = replicaId;

    public ReplicaOptions Options { get; } = options;

    public SharedResults Results { get; } = results;

    /// <summary>Reaches the replica running a statement; null when this host has no bus.</summary>
    public IStatementCancelForwarder? Cancels { get; } = cancels;
}

/// <summary>Asks whichever replica runs a statement to cancel it.</summary>
public interface IStatementCancelForwarder
{
    Task RequestCancelAsync(string statementId, CancellationToken cancellationToken);
}
