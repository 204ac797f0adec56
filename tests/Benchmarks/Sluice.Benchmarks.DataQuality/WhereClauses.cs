using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.DataQuality.Data;
using Sluice.DataQuality.Evaluation;
using Sluice.DataQuality.Parsing;
using Sluice.Validation.CustomSql;
using Sluice.Validation.Filtering;

namespace Sluice.Benchmarks.DataQuality;

/// <summary>
/// DQDL with where clauses over the generated dataset, as the validation service evaluates it: the clauses are in the
/// subset evaluated in the main pass, so the service's DuckDB copy (the runner for other clauses) is never loaded.
/// Compared with the same parse-only floor as the main benchmark.
/// </summary>
internal static class WhereClauses
{
    public const string Ruleset = """
        Rules = [
            RowCount = 1000000,
            IsPrimaryKey "id",
            Completeness "email" > 0.95,
            ColumnValues "status" in ["active", "inactive", "pending"],
            Mean "amount" between 100 and 9000,
            RowCount between 300000 and 370000 where "status = 'active'",
            Completeness "email" > 0.95 where "status = 'active'",
            IsPrimaryKey "id" where "status = 'active'",
            Mean "amount" between 100 and 9000 where "country IN ('US', 'DE')",
            ColumnValues "country" in ["US", "DE"] where "country IN ('US', 'DE')",
            ColumnValues "quantity" > 0 where "amount > 5000 AND quantity >= 25",
            Sum "quantity" > 0 where "amount > 5000 AND quantity >= 25"
        ]
        """;

    /// <summary>One evaluation with where clauses; returns the scorecard.</summary>
    public static Scorecard Evaluate(string path, TimeProvider clock, int parallelism)
    {
        var limits = new CustomSqlOptions { MaxBytes = 4L << 30, MaxRows = 100_000_000 };
        var copy = new DuckDbDatasetCopy((directory, cancellationToken) =>
        {
            var target = Path.Combine(directory, "part-00000.ndjson");
            File.Copy(path, target);
            return Task.FromResult<IReadOnlyList<string>>([target]);
        }, limits, NullLogger.Instance);
        try
        {
            var options = new EvaluationOptions { TimeProvider = clock, MaxDegreeOfParallelism = parallelism, CustomSqlRunner = copy };
            var parts = new Func<CancellationToken, Task<Stream>>[] { _ => Task.FromResult<Stream>(ParseOnly.Open(path)) };
            return RulesetEvaluator.EvaluateAsync(DqdlParser.Parse(Ruleset), DatasetSource.FromNdjsonParts(parts), options).GetAwaiter().GetResult();
        }
        finally
        {
            copy.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>What the DuckDB path (still taken by clauses outside the subset) costs: the load, then one more filter.</summary>
    public static void Profile(string path, TimeProvider clock, int parallelism)
    {
        var limits = new CustomSqlOptions { MaxBytes = 4L << 30, MaxRows = 100_000_000 };
        var watch = Stopwatch.StartNew();
        var copy = new DuckDbDatasetCopy((directory, cancellationToken) =>
        {
            var target = Path.Combine(directory, "part-00000.ndjson");
            File.Copy(path, target);
            return Task.FromResult<IReadOnlyList<string>>([target]);
        }, limits, NullLogger.Instance);
        var first = copy.SelectRowsAsync("status = 'active'", CancellationToken.None).GetAwaiter().GetResult();
        var load = watch.Elapsed.TotalSeconds;
        watch.Restart();
        var second = copy.SelectRowsAsync("amount > 5000 AND quantity >= 25", CancellationToken.None).GetAwaiter().GetResult();
        var filter = watch.Elapsed.TotalSeconds;
        copy.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Console.WriteLine($"  DuckDB copy + load + first filter ({first.Positions.Length:N0} rows): {load:F3} s; one more filter ({second.Positions.Length:N0} rows): {filter:F3} s");
    }
}
