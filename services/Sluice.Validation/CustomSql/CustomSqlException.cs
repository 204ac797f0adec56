namespace Sluice.Validation.CustomSql;

/// <summary>
/// A CustomSql statement could not give a result, for a reason its rule reports as Error: the statement was refused,
/// DuckDB rejected it, it ran too long, its result had the wrong shape, or the dataset exceeds the copy's limits.
/// </summary>
internal sealed class CustomSqlException(string message) : Exception(message);
