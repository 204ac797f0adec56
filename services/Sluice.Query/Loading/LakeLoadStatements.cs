using System.Text;

namespace Sluice.Query.Loading;

/// <summary>A column: its name and its DuckDB type as DESCRIBE or information_schema spell it.</summary>
internal sealed record LakeColumn(string Name, string Type);

/// <summary>
/// The SQL of one job's load on DuckDB, as one batch (one transaction). First load of a source:
/// <c>CREATE TABLE IF NOT EXISTS t AS SELECT ... LIMIT 0</c> fixes the table's types from the
/// lake's, then <c>INSERT INTO t BY NAME SELECT ...</c> loads the rows. Later loads: a column is
/// added per new field (<c>ALTER TABLE ... ADD COLUMN</c>), the job's earlier rows are deleted (a
/// redelivered event loads once), and the INSERT casts each field to its column's existing type.
/// The batch ends with the INSERT, whose count of inserted rows is the statement's row count.
/// </summary>
internal static class LakeLoadStatements
{
    /// <summary>The column holding the id of the job a row was loaded by.</summary>
    public const string JobColumn = "_job_id";

    /// <summary>The lake's partition column, from the part's key (not a field of the records).</summary>
    public const string PartitionColumn = "ingest_date";

    /// <param name="table">The warehouse table (unquoted).</param>
    /// <param name="jobId">The job whose parts these are.</param>
    /// <param name="parts">The files of the job's parts, and nothing else.</param>
    /// <param name="lake">The columns DuckDB detects over every record of the parts (with the partition column).</param>
    /// <param name="existing">The table's columns; empty when the table does not exist yet.</param>
    public static IReadOnlyList<string> Build(string table, string jobId, IReadOnlyList<string> parts, IReadOnlyList<LakeColumn> lake, IReadOnlyList<LakeColumn> existing)
    {
        var target = Quote(table);
        var columns = lake.Select(c => c with { Type = StoredType(c.Type) }).ToList();
        var select = new StringBuilder("SELECT ").Append(Literal(jobId)).Append("::VARCHAR AS ").Append(Quote(JobColumn));
        foreach (var column in columns)
        {
            var current = existing.FirstOrDefault(e => string.Equals(e.Name, column.Name, StringComparison.OrdinalIgnoreCase));
            var value = "lake." + Quote(column.Name);
            select.Append(", ").Append(current is null ? value : Convert(value, column.Type, current.Type, table, column.Name, jobId)).Append(" AS ").Append(Quote(column.Name));
        }
        select.Append(" FROM ").Append(Relation(parts, columns)).Append(" AS lake");

        var statements = new List<string>();
        if (existing.Count == 0)
        {
            statements.Add($"CREATE TABLE IF NOT EXISTS {target} AS {select} LIMIT 0");
        }
        else
        {
            statements.AddRange(columns.Where(c => !existing.Any(e => string.Equals(e.Name, c.Name, StringComparison.OrdinalIgnoreCase)))
                .Select(c => $"ALTER TABLE {target} ADD COLUMN {Quote(c.Name)} {c.Type}"));
            statements.Add($"DELETE FROM {target} WHERE {Quote(JobColumn)} = {Literal(jobId)}");
        }
        statements.Add($"INSERT INTO {target} BY NAME {select}");
        return statements;
    }

    /// <summary>The query that detects the parts' columns: every record is read (no sample), so no field and no odd value goes unseen.</summary>
    public static string Probe(IReadOnlyList<string> parts) =>
        $"DESCRIBE SELECT * FROM read_json({Files(parts)}, format = 'newline_delimited', records = true, hive_partitioning = true, union_by_name = true, sample_size = -1, maximum_depth = 2)";

    /// <summary>
    /// The parts with the detected columns given explicitly: DuckDB reads them without detecting
    /// again, and objects and arrays arrive as their JSON text.
    /// </summary>
    private static string Relation(IReadOnlyList<string> parts, List<LakeColumn> columns)
    {
        var fields = string.Join(", ", columns.Where(c => c.Name != PartitionColumn).Select(c => $"{Literal(c.Name)}: {Literal(c.Type)}"));
        return $"read_json({Files(parts)}, format = 'newline_delimited', records = true, hive_partitioning = true, columns = {{{fields}}})";
    }

    /// <summary>
    /// The value of <paramref name="value"/> (of type <paramref name="from"/>) in a column of type
    /// <paramref name="to"/>. A value that does not fit fails the load with a message naming the
    /// column and the job, rather than being rounded, turned into a boolean, or dropped to NULL.
    /// </summary>
    private static string Convert(string value, string from, string to, string table, string column, string jobId)
    {
        var (source, target) = (KindOf(from), KindOf(to));
        if (string.Equals(from, to, StringComparison.OrdinalIgnoreCase))
        {
            return value;
        }
        switch (target)
        {
            case TypeKind.Text:
                // A JSON string becomes its text, not its quoted JSON form.
                return source == TypeKind.Json ? $"CASE WHEN json_type({value}) = 'VARCHAR' THEN {value} ->> '$' ELSE CAST({value} AS VARCHAR) END" : $"CAST({value} AS VARCHAR)";
            case TypeKind.Json:
                return $"to_json({value})";
        }
        var cast = $"TRY_CAST({value} AS {to})";
        var misfit = target == TypeKind.Boolean && source is not (TypeKind.Text or TypeKind.Json) || source == TypeKind.Boolean && target != TypeKind.Boolean
            ? "TRUE"
            : target == TypeKind.Integer && source is TypeKind.Floating or TypeKind.Json
                ? $"{cast} IS NULL OR CAST({cast} AS DOUBLE) IS DISTINCT FROM TRY_CAST({value} AS DOUBLE)"
                : $"{cast} IS NULL";
        var message = Literal($"Job {jobId}: a value of field \"{column}\" does not fit column \"{column}\" of table \"{table}\" ({to}): ");
        return $"CASE WHEN {value} IS NOT NULL AND ({misfit}) THEN error({message} || CAST({value} AS VARCHAR)) ELSE {cast} END";
    }

    /// <summary>The type a field is stored with: objects and arrays as JSON text, so their shape may vary from record to record.</summary>
    private static string StoredType(string detected)
    {
        var type = detected.Trim().ToUpperInvariant();
        return type.EndsWith(']') || type.StartsWith("STRUCT", StringComparison.Ordinal) || type.StartsWith("MAP", StringComparison.Ordinal)
            || type.StartsWith("UNION", StringComparison.Ordinal) || type == "NULL"
            ? "JSON"
            : detected;
    }

    private static TypeKind KindOf(string type)
    {
        var name = type.Trim().ToUpperInvariant();
        var bare = name.Contains('(') ? name[..name.IndexOf('(')].Trim() : name;
        return bare switch
        {
            "TINYINT" or "SMALLINT" or "INTEGER" or "BIGINT" or "HUGEINT" or "UTINYINT" or "USMALLINT" or "UINTEGER" or "UBIGINT" or "UHUGEINT" => TypeKind.Integer,
            "FLOAT" or "REAL" or "DOUBLE" or "DECIMAL" or "NUMERIC" => TypeKind.Floating,
            "BOOLEAN" => TypeKind.Boolean,
            "VARCHAR" => TypeKind.Text,
            "JSON" => TypeKind.Json,
            _ => TypeKind.Other,
        };
    }

    private static string Files(IReadOnlyList<string> parts) => "[" + string.Join(", ", parts.Select(Literal)) + "]";

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private enum TypeKind { Integer, Floating, Boolean, Text, Json, Other }
}
