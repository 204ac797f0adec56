using Sluice.Validation.References;

namespace Sluice.Validation.Storage;

/// <summary>A registered schema version with its text.</summary>
internal sealed record StoredSchema(string Name, int Version, string SchemaJson, DateTimeOffset CreatedAt);

/// <summary>A registered schema version without its text (what listings return).</summary>
internal sealed record StoredSchemaInfo(string Name, int Version, int SchemaLength, DateTimeOffset CreatedAt);

/// <summary>
/// A registered ruleset version of a source, with the reference datasets its multi-dataset rules use: object store
/// prefixes and warehouse tables, by alias (an alias is in one map only).
/// </summary>
internal sealed record StoredRuleset(string Source, int Version, string RulesetText, int RuleCount, DateTimeOffset CreatedAt)
{
    public IReadOnlyDictionary<string, string> References { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, WarehouseTableName> ReferenceTables { get; init; } = new Dictionary<string, WarehouseTableName>();
}

/// <summary>Where listing resumes: after this schema version (keyset pagination).</summary>
internal readonly record struct SchemaCursor(string Name, int Version);

/// <summary>
/// The registry's persistent state: schema versions and source rulesets. Versions are
/// immutable once written; implementations must assign version numbers atomically.
/// </summary>
internal interface IValidationStore
{
    /// <summary>
    /// Registers <paramref name="schemaJson"/> under <paramref name="name"/>: as
    /// <paramref name="version"/> when given, else as the next version. The same text registered
    /// again returns the existing version with Created = false.
    /// </summary>
    /// <exception cref="SchemaVersionConflictException">The version holds a different text.</exception>
    Task<(StoredSchema Schema, bool Created)> AddSchemaAsync(string name, int? version, string schemaJson, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The version (the latest when null), or null when there is none.</summary>
    Task<StoredSchema?> GetSchemaAsync(string name, int? version, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> versions ordered by name then version, after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<StoredSchemaInfo>> ListSchemasAsync(string? name, SchemaCursor? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Makes <paramref name="rulesetText"/> the current ruleset of <paramref name="source"/> (the
    /// next version); text equal to the current one returns it with Created = false.
    /// </summary>
    Task<(StoredRuleset Ruleset, bool Created)> AddRulesetAsync(string source, string rulesetText, int ruleCount, IReadOnlyDictionary<string, string> references,
        IReadOnlyDictionary<string, WarehouseTableName> referenceTables, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The version (the current one when null), or null when there is none.</summary>
    Task<StoredRuleset?> GetRulesetAsync(string source, int? version, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="perMetric"/> most recent values (most recent first) of each rule's metrics on <paramref name="dataset"/>.</summary>
    Task<IReadOnlyDictionary<(string Rule, string Metric), IReadOnlyList<double>>> GetMetricHistoryAsync(string dataset, int perMetric, CancellationToken cancellationToken);

    /// <summary>Appends the metrics of one evaluation of <paramref name="dataset"/> to its history.</summary>
    Task AddMetricsAsync(string dataset, DateTimeOffset evaluatedAt, IReadOnlyList<(string Rule, string Metric, double Value)> metrics, CancellationToken cancellationToken);
}
