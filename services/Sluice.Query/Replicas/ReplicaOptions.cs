namespace Sluice.Query.Replicas;

/// <summary>
/// Settings of query service replicas sharing one state database and broker, bound from
/// "Sluice:Query:Replicas". They matter only with Sluice:Query:State:Store = Postgres.
/// </summary>
public sealed class ReplicaOptions
{
    public const string SectionName = "Sluice:Query:Replicas";

    /// <summary>How often a replica renews its lease and looks for statements a dead replica left. Defaults to 5 seconds.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A replica whose lease was not renewed for this long is taken for dead: a live replica fails
    /// the statements it left running (or resumes its remote ones). At least 3 heartbeats, so a
    /// slow heartbeat does not end a live replica's statements. Defaults to 30 seconds.
    /// </summary>
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long CancelStatement for a statement another replica runs waits for the store to show
    /// it ended before answering (the cancel still reaches the runner after). Defaults to 10 seconds.
    /// </summary>
    public TimeSpan CancelWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Copies each result file to the object store (Sluice:ObjectStore, key prefix query-results/)
    /// before its statement is FINISHED, so any replica can read it; results otherwise stay in
    /// the runner's own Sluice:Query:DataDirectory. Defaults to true.
    /// </summary>
    public bool ShareResults { get; set; } = true;

    /// <summary>Throws, naming the setting, when a value is out of range.</summary>
    internal void Validate()
    {
        if (HeartbeatInterval <= TimeSpan.Zero || HeartbeatInterval > TimeSpan.FromMinutes(5))
        {
            throw new InvalidOperationException($"{SectionName}:HeartbeatInterval must be positive and at most 5 minutes, not {HeartbeatInterval}.");
        }
        if (LeaseTimeout < 3 * HeartbeatInterval || LeaseTimeout > TimeSpan.FromHours(1))
        {
            throw new InvalidOperationException(
                $"{SectionName}:LeaseTimeout must be at least 3 heartbeats ({SectionName}:HeartbeatInterval is {HeartbeatInterval}) and at most 1 hour, not {LeaseTimeout}.");
        }
        if (CancelWait < TimeSpan.Zero || CancelWait > TimeSpan.FromMinutes(5))
        {
            throw new InvalidOperationException($"{SectionName}:CancelWait must be between 0 and 5 minutes, not {CancelWait}.");
        }
    }
}
