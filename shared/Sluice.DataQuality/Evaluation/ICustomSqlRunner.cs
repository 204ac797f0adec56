namespace Sluice.DataQuality.Evaluation;

/// <summary>
/// Runs the SQL of <c>CustomSql</c> rules on the engine that holds the dataset (the query service's warehouse).
/// In the SQL, the table name <c>primary</c> stands for the dataset being evaluated; the runner maps it to
/// the real table (<see cref="CustomSqlContext.DatasetName"/>).
/// </summary>
public interface ICustomSqlRunner
{
    /// <summary>
    /// Runs a statement that returns one numeric value, e.g. <c>select count(*) from primary</c>
    /// (the rule has an expression: <c>CustomSql "..." between 10 and 20</c>).
    /// </summary>
    Task<double> ExecuteScalarAsync(string sql, CustomSqlContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Runs a statement that selects rows of <c>primary</c> and returns how many it returned
    /// (the row-level form without an expression: returned rows pass, the others fail).
    /// </summary>
    Task<long> CountRowsAsync(string sql, CustomSqlContext context, CancellationToken cancellationToken);

    /// <summary>
    /// The rows of <c>primary</c> that a rule's <c>where</c> clause selects (e.g. <c>"status = 'shipped'"</c>), by
    /// position: 0 is the dataset's first row (blank lines are not rows), in dataset order. Rules with that clause are
    /// then evaluated over those rows as they are in the dataset. The default implementation refuses: such rules then
    /// end in <see cref="RuleOutcome.Error"/>.
    /// </summary>
    Task<RowSelection> SelectRowsAsync(string whereClause, CustomSqlContext context, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This SQL engine does not evaluate 'where' clauses");

    /// <summary>
    /// The metric of a rule comparing <c>primary</c> with datasets named by alias (ReferentialIntegrity, DatasetMatch,
    /// RowCountMatch, AggregateMatch, SchemaMatch). The default implementation refuses: such rules then end in
    /// <see cref="RuleOutcome.Error"/>.
    /// </summary>
    Task<ReferenceMetric> MeasureAgainstReferenceAsync(Model.SimpleRule rule, CustomSqlContext context, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{rule.TypeName} compares with other datasets, which this evaluation was not given");
}

/// <summary>The metric of a rule that compares the dataset with another one (its judgement is the evaluator's).</summary>
/// <param name="Name">The metric's name, e.g. <c>Dataset.ref.RowCountMatch</c>.</param>
/// <param name="Value">Its value.</param>
public sealed record ReferenceMetric(string Name, double Value);

/// <summary>The rows a <c>where</c> clause selected.</summary>
/// <param name="Positions">0-based positions of the selected rows in the dataset, ascending.</param>
/// <param name="RowCount">How many rows the engine's copy of the dataset holds; checked against the dataset's own count.</param>
public sealed record RowSelection(long[] Positions, long RowCount);

/// <summary>What a <see cref="ICustomSqlRunner"/> needs to know about the dataset.</summary>
/// <param name="DatasetName">The name <c>primary</c> refers to (<see cref="EvaluationOptions.DatasetName"/>).</param>
public sealed record CustomSqlContext(string DatasetName);
