using Sluice.DataQuality.Evaluation;
using Sluice.Validation.CustomSql;

namespace Sluice.Validation.Filtering;

/// <summary>
/// The SQL engines of one evaluation as the evaluator sees them: CustomSql statements on the SQLite copy,
/// where clauses on the DuckDB copy. Each copy is made only when a rule first needs it.
/// </summary>
internal sealed class EvaluationSqlEngine(SqliteDatasetCopy customSql, DuckDbDatasetCopy filter) : ICustomSqlRunner, IAsyncDisposable
{
    public SqliteDatasetCopy CustomSql => customSql;

    /// <summary>Rethrows a copy's failure that is not about the data, so the evaluation is retried.</summary>
    public void ThrowIfCopyFailedForAnotherReason()
    {
        customSql.ThrowIfCopyFailedForAnotherReason();
        filter.ThrowIfCopyFailedForAnotherReason();
    }

    public Task<double> ExecuteScalarAsync(string sql, CustomSqlContext context, CancellationToken cancellationToken) =>
        customSql.ExecuteScalarAsync(sql, context, cancellationToken);

    public Task<long> CountRowsAsync(string sql, CustomSqlContext context, CancellationToken cancellationToken) =>
        customSql.CountRowsAsync(sql, context, cancellationToken);

    public Task<RowSelection> SelectRowsAsync(string whereClause, CustomSqlContext context, CancellationToken cancellationToken) =>
        filter.SelectRowsAsync(whereClause, cancellationToken);

    public Task<ReferenceMetric> MeasureAgainstReferenceAsync(Sluice.DataQuality.Model.SimpleRule rule, CustomSqlContext context, CancellationToken cancellationToken) =>
        filter.MeasureAgainstReferenceAsync(rule, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await customSql.DisposeAsync().ConfigureAwait(false);
        await filter.DisposeAsync().ConfigureAwait(false);
    }
}
