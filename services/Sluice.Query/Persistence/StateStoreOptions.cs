namespace Sluice.Query.Persistence;

/// <summary>Where the query service keeps the statement saga's instances and its statements.</summary>
public enum StateStoreKind
{
    /// <summary>In the process's memory: lost when it stops (the embedded profile; needs no server).</summary>
    Memory,

    /// <summary>In PostgreSQL, so a restarted or replaced query service carries on (the durable profile).</summary>
    Postgres,
}

/// <summary>Settings of the state store, bound from "Sluice:Query:State".</summary>
public sealed class StateStoreOptions
{
    public const string SectionName = "Sluice:Query:State";

    /// <summary>The store. Defaults to <see cref="StateStoreKind.Memory"/>.</summary>
    public StateStoreKind Store { get; set; } = StateStoreKind.Memory;

    /// <summary>Npgsql connection string of the database holding the state; required when <see cref="Store"/> is Postgres.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How long the service waits at start for the database (and for another replica's schema migration). Defaults to 30 seconds.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
