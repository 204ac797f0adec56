using Sluice.Validation.CustomSql;

namespace Sluice.Validation;

/// <summary>Settings of the Validation service, bound from section "Sluice:Validation".</summary>
public sealed class ValidationOptions
{
    public const string SectionName = "Sluice:Validation";

    /// <summary>Where the registry's SQLite file (validation.db) lives. Defaults to ./data.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>
    /// Largest document accepted by ValidateDocument, and largest inline row of EvaluateRuleset, in
    /// characters. Defaults to 1,048,576 (1 Mi). Whole requests are also bounded by the gRPC
    /// server-wide Sluice:Grpc:MaxReceiveMessageSize (4 MB by default).
    /// </summary>
    public int MaxDocumentLength { get; set; } = 1024 * 1024;

    /// <summary>Largest schema text accepted (inline or registered), in characters. Defaults to 262,144 (256 Ki).</summary>
    public int MaxSchemaLength { get; set; } = 256 * 1024;

    /// <summary>Largest DQDL ruleset text accepted, in characters. Defaults to 65,536 (Glue's ruleset limit).</summary>
    public int MaxRulesetLength { get; set; } = 65_536;

    /// <summary>Most inline rows EvaluateRuleset accepts. Defaults to 10,000; larger datasets belong in the object store.</summary>
    public int MaxInlineRows { get; set; } = 10_000;

    /// <summary>Compiled schema versions kept in memory. Defaults to 1,000.</summary>
    public int CompiledSchemaCacheSize { get; set; } = 1000;

    /// <summary>DatasetLanded events evaluated at once. Defaults to 2.</summary>
    public int MaxConcurrentEvaluations { get; set; } = 2;

    /// <summary>
    /// Retries of a DatasetLanded evaluation that failed for a reason other than the data itself
    /// (e.g. the object store was unreachable); after the last one the failure is published as a
    /// DatasetValidated with status Error. Defaults to 3.
    /// </summary>
    public int EvaluationRetryLimit { get; set; } = 3;

    /// <summary>The wait before each of those retries. Defaults to 5 seconds.</summary>
    public TimeSpan EvaluationRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest a warehouse table used as a reference dataset may take to be read through the query service (the
    /// statement and the streaming of its rows). Defaults to 5 minutes.
    /// </summary>
    public TimeSpan ReferenceTableTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How CustomSql rules and where clauses run on the embedded DuckDB copy of a dataset (section "Sluice:Validation:CustomSql").</summary>
    public CustomSqlOptions CustomSql { get; set; } = new();

    internal string DatabasePath => Path.Combine(DataDirectory, "validation.db");
}
