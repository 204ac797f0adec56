using System.Globalization;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;
using Sluice.DataQuality.Evaluation;
using Sluice.DataQuality.Model;
using Sluice.Validation.CustomSql;

namespace Sluice.Validation.Filtering;

/// <summary>
/// The metrics of the rules that compare <c>primary</c> with datasets named by alias, as SQL over the DuckDB copy
/// (each reference dataset is a table named by its alias). Metric names follow awslabs/deequ's DQDL executors.
/// </summary>
internal static partial class ReferenceRules
{
    public static ReferenceMetric Measure(DuckDBConnection connection, SimpleRule rule, IReadOnlySet<string> aliases)
    {
        var p = rule.Parameters;
        switch (rule.Type)
        {
            case RuleType.RowCountMatch:
            {
                // Rows of primary / rows of the reference (RowCountMatch "ref" = 1.0: same count).
                var alias = Alias(p[0], aliases);
                return new($"Dataset.{alias}.RowCountMatch", Number(connection,
                    $"SELECT (SELECT count(*) FROM \"primary\")::DOUBLE / nullif((SELECT count(*) FROM {Quote(alias)}), 0)"));
            }
            case RuleType.ReferentialIntegrity:
            {
                // Share of primary rows whose (non-null) values occur together in the reference's columns.
                var columns = SplitColumns(p[0]);
                var (alias, referenceColumns) = AliasAndColumns(p[1], aliases);
                if (columns.Count != referenceColumns.Count)
                {
                    throw new CustomSqlException($"ReferentialIntegrity names {columns.Count} column(s) of the dataset but {referenceColumns.Count} of {alias}.");
                }
                var join = string.Join(" AND ", columns.Select((column, i) => $"r.{Quote(referenceColumns[i])} = p.{Quote(column)}"));
                return new($"Column.{alias}.ReferentialIntegrity", Number(connection,
                    $"SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {Quote(alias)} r WHERE {join}))::DOUBLE / nullif(count(*), 0) FROM \"primary\" p"));
            }
            case RuleType.DatasetMatch:
            {
                // Share of primary rows that have a reference row with the same keys and the same matched values
                // (every other column both datasets have, unless the columns to match are given).
                var alias = Alias(p[0], aliases);
                var keys = Mappings(p[1]);
                var matches = p.Count > 2 ? Mappings(p[2]) : CommonColumns(connection, alias, keys.Select(k => k.Primary).ToHashSet(StringComparer.Ordinal));
                var on = string.Join(" AND ", keys.Select(k => $"r.{Quote(k.Reference)} = p.{Quote(k.Primary)}"));
                var equal = matches.Count == 0 ? "TRUE" : string.Join(" AND ", matches.Select(m => $"r.{Quote(m.Reference)} IS NOT DISTINCT FROM p.{Quote(m.Primary)}"));
                return new($"Dataset.{alias}.DatasetMatch", Number(connection,
                    $"SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {Quote(alias)} r WHERE {on} AND {equal}))::DOUBLE / nullif(count(*), 0) FROM \"primary\" p"));
            }
            case RuleType.AggregateMatch:
            {
                // The first aggregate / the second, each over the dataset its column names (alias.column, or primary).
                var first = Aggregate(connection, p[0], aliases);
                var second = Aggregate(connection, p[1], aliases);
                return new("Dataset.*.AggregateMatch", second == 0 ? double.NaN : first / second);
            }
            case RuleType.SchemaMatch:
            {
                // Share of the columns of both datasets that both have with the same type.
                var alias = Alias(p[0], aliases);
                return new($"Dataset.{alias}.SchemaMatch", Number(connection, $"""
                    WITH a AS (SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'primary'),
                         b AS (SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = {Literal(alias)})
                    SELECT (SELECT count(*) FROM a JOIN b USING (column_name, data_type))::DOUBLE
                         / nullif((SELECT count(*) FROM (SELECT column_name FROM a UNION SELECT column_name FROM b)), 0)
                    """));
            }
            default:
                throw new CustomSqlException($"{rule.TypeName} does not compare datasets.");
        }
    }

    private static double Aggregate(DuckDBConnection connection, string expression, IReadOnlySet<string> aliases)
    {
        var match = AggregatePattern().Match(expression);
        if (!match.Success)
        {
            throw new CustomSqlException($"Expected an aggregate such as sum(amount) or avg(ref.amount), not \"{expression}\".");
        }
        var function = match.Groups["function"].Value.ToLowerInvariant();
        if (function is not ("sum" or "avg" or "count" or "min" or "max"))
        {
            throw new CustomSqlException($"AggregateMatch supports sum, avg, count, min and max, not {function}.");
        }
        var table = match.Groups["alias"].Success ? Quote(Alias(match.Groups["alias"].Value, aliases)) : "\"primary\"";
        var column = match.Groups["column"].Value;
        var argument = column == "*" ? "*" : Quote(column);
        return Number(connection, $"SELECT {function}({argument})::DOUBLE FROM {table}");
    }

    private static List<(string Primary, string Reference)> CommonColumns(DuckDBConnection connection, string alias, HashSet<string> keys)
    {
        var columns = new List<(string, string)>();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT a.column_name FROM duckdb_columns() a JOIN duckdb_columns() b ON a.column_name = b.column_name
            WHERE a.table_name = 'primary' AND b.table_name = {Literal(alias)} ORDER BY a.column_index
            """;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var name = reader.GetString(0);
            if (!keys.Contains(name))
            {
                columns.Add((name, name));
            }
        }
        return columns;
    }

    /// <summary><c>"id->ref_id,name->ref_name"</c>, or <c>"id"</c> when both datasets name the column alike.</summary>
    private static List<(string Primary, string Reference)> Mappings(string text) =>
        SplitColumns(text).Select(part =>
        {
            var arrow = part.IndexOf("->", StringComparison.Ordinal);
            return arrow < 0 ? (part, part) : (part[..arrow].Trim(), part[(arrow + 2)..].Trim());
        }).ToList();

    /// <summary><c>"ref.{a,b}"</c> or <c>"ref.a"</c>.</summary>
    private static (string Alias, List<string> Columns) AliasAndColumns(string text, IReadOnlySet<string> aliases)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            throw new CustomSqlException($"Expected alias.{{columns}} (e.g. ref.{{id}}), not \"{text}\".");
        }
        var alias = Alias(text[..dot], aliases);
        var columns = text[(dot + 1)..].Trim();
        if (columns.StartsWith('{') && columns.EndsWith('}'))
        {
            columns = columns[1..^1];
        }
        return (alias, SplitColumns(columns));
    }

    private static List<string> SplitColumns(string text)
    {
        var columns = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        return columns.Count == 0 ? throw new CustomSqlException($"Expected column names, not \"{text}\".") : columns;
    }

    private static string Alias(string alias, IReadOnlySet<string> aliases) => aliases.Contains(alias)
        ? alias
        : throw new CustomSqlException(aliases.Count == 0
            ? $"No reference dataset is named '{alias}': give it in the request's reference_datasets."
            : $"No reference dataset is named '{alias}'; the references are {string.Join(", ", aliases.Order())}.");

    private static double Number(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        try
        {
            var value = command.ExecuteScalar();
            return value is null or DBNull ? double.NaN : Convert.ToDouble(value, CultureInfo.InvariantCulture);
        }
        catch (DuckDBException exception)
        {
            throw new CustomSqlException(exception.Message);
        }
    }

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"^\s*(?<function>[A-Za-z]+)\s*\(\s*(?:(?<alias>[A-Za-z_][A-Za-z0-9_]*)\.)?(?<column>\*|[^().,]+?)\s*\)\s*$")]
    private static partial Regex AggregatePattern();
}
