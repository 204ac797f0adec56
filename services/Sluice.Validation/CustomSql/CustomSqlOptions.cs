namespace Sluice.Validation.CustomSql;

/// <summary>
/// Limits of the embedded DuckDB copy that CustomSql rules and where clauses run on, bound from section
/// "Sluice:Validation:CustomSql". The copy lives in memory for one evaluation, so these limits are
/// what keeps a large dataset or a runaway statement from taking the service down.
/// </summary>
public sealed class CustomSqlOptions
{
    /// <summary>Most rows loaded into the copy; a larger dataset ends its CustomSql rules in Error. Defaults to 1,000,000.</summary>
    public long MaxRows { get; set; } = 1_000_000;

    /// <summary>
    /// Most bytes of row JSON (UTF-8, as landed) loaded into the copy; a larger dataset ends its CustomSql rules in
    /// Error. The copy's DuckDB database may use about four times this much memory. Defaults to 268,435,456 (256 MiB).
    /// </summary>
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Longest time one CustomSql statement may run before it is interrupted and its rule ends in Error. Defaults to 30 seconds.</summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
