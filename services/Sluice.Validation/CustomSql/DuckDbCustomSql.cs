using System.Globalization;
using System.Numerics;
using System.Text.Json;
using DuckDB.NET.Data;

namespace Sluice.Validation.CustomSql;

/// <summary>
/// Runs the statements of CustomSql rules on the DuckDB copy of a dataset. A statement must be exactly one query:
/// DuckDB's own parser decides (<c>json_serialize_sql</c> serializes SELECT statements and nothing else), so DELETE,
/// DDL, SET, ATTACH, COPY, transactions and a second statement are refused before anything runs. The copy can reach
/// no file and change no setting once loaded, so a query cannot either.
/// </summary>
internal static class DuckDbCustomSql
{
    /// <summary>Longest CustomSql statement accepted, in characters.</summary>
    public const int MaxLength = 65_536;

    public const string SingleSelectOnly = "CustomSql may only read the dataset: a single SELECT (or WITH … SELECT) statement is allowed";

    /// <summary>Runs a statement that must return one numeric value (the rule has an expression).</summary>
    /// <exception cref="CustomSqlException">The statement was refused or failed, or its result is not one number.</exception>
    public static double ExecuteScalar(DuckDBConnection connection, string sql, CancellationToken deadline)
    {
        var query = Check(connection, sql);
        using var command = connection.CreateCommand();
        command.CommandText = query.Text;
        using var cancel = deadline.Register(command.Cancel);
        using var reader = Run(command);
        if (reader.FieldCount != 1)
        {
            throw new CustomSqlException(string.Create(CultureInfo.InvariantCulture,
                $"The CustomSql statement returned {reader.FieldCount} columns; a rule with an expression needs a single numeric value."));
        }
        if (!Read(reader))
        {
            throw new CustomSqlException("The CustomSql statement returned no rows; a rule with an expression needs a single numeric value, e.g. select count(*) from primary.");
        }
        var value = reader.IsDBNull(0)
            ? throw new CustomSqlException("The CustomSql statement returned NULL; a rule with an expression needs a numeric value.")
            : reader.GetValue(0) switch
            {
                long v => v,
                int v => v,
                short v => v,
                sbyte v => v,
                ulong v => v,
                uint v => v,
                ushort v => v,
                byte v => v,
                double v => v,
                float v => v,
                decimal v => (double)v,
                BigInteger v => (double)v,
                string text => throw new CustomSqlException($"The CustomSql statement returned the text '{Shorten(text)}'; a rule with an expression needs a numeric value."),
                { } other => throw new CustomSqlException(
                    $"The CustomSql statement returned a value of type {reader.GetDataTypeName(0)}; a rule with an expression needs a numeric value ({Shorten(other.ToString())})."),
            };
        if (Read(reader))
        {
            throw new CustomSqlException("The CustomSql statement returned more than one row; a rule with an expression needs a single numeric value.");
        }
        return value;
    }

    /// <summary>Runs a statement that selects rows of <c>primary</c> (the row-level form) and counts them.</summary>
    /// <exception cref="CustomSqlException">The statement was refused or failed, or it selects no column of primary.</exception>
    public static long CountRows(DuckDBConnection connection, string sql, CancellationToken deadline)
    {
        var query = Check(connection, sql);
        if (!query.SelectsAColumnOfPrimary)
        {
            // As in Glue: the rows returned are matched to the dataset's rows, which needs a column of the dataset.
            throw new CustomSqlException(
                "A row-level CustomSql statement (one without an expression) must select at least one column of primary, e.g. select id from primary where amount > 0; the rows it returns are the rows that pass.");
        }
        using var command = connection.CreateCommand();
        command.CommandText = query.Text;
        using var cancel = deadline.Register(command.Cancel);
        using var reader = Run(command);
        long rows = 0;
        while (Read(reader))
        {
            rows++;
        }
        return rows;
    }

    /// <summary>The statement as DuckDB runs it, once its parser has found it to be a single query.</summary>
    private static Query Check(DuckDBConnection connection, string sql)
    {
        if (string.IsNullOrWhiteSpace(sql))
        {
            throw new CustomSqlException("The CustomSql statement is empty.");
        }
        if (sql.Length > MaxLength)
        {
            throw new CustomSqlException(string.Create(CultureInfo.InvariantCulture, $"The CustomSql statement is longer than {MaxLength:N0} characters."));
        }
        var text = SparkSqlText.ForDuckDb(sql);
        using var command = connection.CreateCommand();
        // A constant, not a parameter: json_serialize_sql parses its argument when the query is bound.
        command.CommandText = "SELECT json_serialize_sql('" + text.Replace("'", "''", StringComparison.Ordinal) + "')";
        using var tree = JsonDocument.Parse((string)command.ExecuteScalar()!);
        var root = tree.RootElement;
        if (root.TryGetProperty("error", out var error) && error.GetBoolean())
        {
            var message = root.TryGetProperty("error_message", out var m) ? m.GetString() ?? "" : "";
            var type = root.TryGetProperty("error_type", out var t) ? t.GetString() ?? "" : "";
            if (type.Equals("parser", StringComparison.OrdinalIgnoreCase))
            {
                throw new CustomSqlException($"DuckDB rejected the CustomSql statement: Parser Error: {message}");
            }
            // Not a query (DuckDB serializes queries only): say what it would have done, as far as its first word tells.
            throw new CustomSqlException($"{SingleSelectOnly}; {Describe(text)}.");
        }
        var statements = root.GetProperty("statements");
        if (statements.GetArrayLength() != 1)
        {
            throw new CustomSqlException($"{SingleSelectOnly}; this text holds more than one statement.");
        }
        return new Query(text, SelectsAColumnOfPrimary(statements[0].GetProperty("node")));
    }

    /// <summary>What a refused statement would do, from its first keyword.</summary>
    private static string Describe(string sql)
    {
        var first = FirstWord(sql).ToUpperInvariant();
        return first switch
        {
            "SELECT" or "WITH" or "FROM" or "VALUES" or "TABLE" or "(" => "this text holds more than one statement",
            "DELETE" or "TRUNCATE" => "this statement would DELETE rows",
            "UPDATE" => "this statement would UPDATE rows",
            "INSERT" => "this statement would INSERT rows",
            "CREATE" or "DROP" or "ALTER" or "COMMENT" => "this statement would change the schema",
            "PRAGMA" or "SET" or "RESET" or "LOAD" or "INSTALL" => $"this statement would run {first} {SecondWord(sql)}".TrimEnd(),
            "BEGIN" or "COMMIT" or "ROLLBACK" or "ABORT" or "START" or "END" or "CHECKPOINT" or "FORCE" => "this statement would control a transaction",
            "ATTACH" or "DETACH" or "USE" => "this statement would ATTACH a database",
            "COPY" or "EXPORT" or "IMPORT" or "VACUUM" => "this statement would read or write files",
            "" => "this text holds no statement",
            _ => $"this statement ({first}) is not a query",
        };
    }

    private static string FirstWord(string sql) => Words(sql).FirstOrDefault() ?? "";

    private static string SecondWord(string sql) => Words(sql).Skip(1).FirstOrDefault() ?? "";

    private static IEnumerable<string> Words(string sql)
    {
        var i = 0;
        while (i < sql.Length)
        {
            if (char.IsWhiteSpace(sql[i]) || sql[i] == ';')
            {
                i++;
            }
            else if (sql[i] == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                var end = sql.IndexOf('\n', i);
                i = end < 0 ? sql.Length : end + 1;
            }
            else if (sql[i] == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + 2;
            }
            else if (sql[i] == '(')
            {
                yield return "(";
                i++;
            }
            else
            {
                var start = i;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '_'))
                {
                    i++;
                }
                if (i == start)
                {
                    yield break;
                }
                yield return sql[start..i];
            }
        }
    }

    /// <summary>
    /// Whether the outermost SELECT of a parsed query selects a column (or *) and reads the table primary: the
    /// row-level form returns rows of the dataset. A set operation (UNION …) is judged by its first query.
    /// </summary>
    private static bool SelectsAColumnOfPrimary(JsonElement node)
    {
        while (node.ValueKind == JsonValueKind.Object && Type(node) == "SET_OPERATION_NODE" && node.TryGetProperty("left", out var left))
        {
            node = left;
        }
        if (Type(node) != "SELECT_NODE" || !node.TryGetProperty("select_list", out var list) || !ReadsPrimary(node))
        {
            return false;
        }
        return list.EnumerateArray().Any(expression => expression.TryGetProperty("class", out var kind)
            && kind.GetString() is "COLUMN_REF" or "STAR");
    }

    private static bool ReadsPrimary(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => (Type(element) == "BASE_TABLE" && element.TryGetProperty("table_name", out var name)
                && string.Equals(name.GetString(), SparkSqlText.Table, StringComparison.OrdinalIgnoreCase))
            || element.EnumerateObject().Any(property => ReadsPrimary(property.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(ReadsPrimary),
        _ => false,
    };

    private static string? Type(JsonElement node) => node.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;

    private static DuckDBDataReader Run(DuckDBCommand command)
    {
        try
        {
            return (DuckDBDataReader)command.ExecuteReader();
        }
        catch (DuckDBException exception)
        {
            throw new CustomSqlException($"DuckDB rejected the CustomSql statement: {exception.Message}");
        }
    }

    private static bool Read(DuckDBDataReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (DuckDBException exception)
        {
            throw new CustomSqlException($"DuckDB failed to run the CustomSql statement: {exception.Message}");
        }
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 40 ? text : text[..40] + "…";

    private readonly record struct Query(string Text, bool SelectsAColumnOfPrimary);
}
