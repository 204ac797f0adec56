using System.Text;

namespace Sluice.Validation.CustomSql;

/// <summary>
/// CustomSql statements are written for Spark SQL, which Glue runs; Sluice runs them on DuckDB. Two habits of Spark
/// SQL that DuckDB does not share are rewritten: the table <c>primary</c> is a bare word in Spark SQL but a reserved
/// word in DuckDB, and identifiers are quoted with backticks (<c>`order id`</c>) where DuckDB uses double quotes.
/// </summary>
internal static class SparkSqlText
{
    /// <summary>The table's name in the copy.</summary>
    public const string Table = "primary";

    /// <summary>The table's name as a quoted identifier.</summary>
    public const string Quoted = "\"primary\"";

    /// <summary>
    /// Quotes every bare word <c>primary</c> (any case) of <paramref name="sql"/> and turns backtick-quoted identifiers
    /// into double-quoted ones. String literals, double-quoted identifiers, comments and parameters are copied as they
    /// are. In a query the keyword PRIMARY has no other use (it only appears in DDL's PRIMARY KEY), so the rewrite
    /// cannot change its meaning.
    /// </summary>
    public static string ForDuckDb(string sql)
    {
        StringBuilder? rewritten = null;
        var copiedUpTo = 0;
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            switch (c)
            {
                case '\'' or '"':
                    i = SkipQuoted(sql, i, c);
                    break;
                case '`':
                    var closed = SkipQuoted(sql, i, c);
                    if (closed - i >= 2 && sql[closed - 1] == '`')
                    {
                        // `a``b` names a`b; as "a`b" a double quote inside is doubled instead.
                        var name = sql[(i + 1)..(closed - 1)].Replace("``", "`", StringComparison.Ordinal).Replace("\"", "\"\"", StringComparison.Ordinal);
                        rewritten ??= new StringBuilder(sql.Length + 8);
                        rewritten.Append(sql, copiedUpTo, i - copiedUpTo).Append('"').Append(name).Append('"');
                        copiedUpTo = closed;
                    }
                    // An unterminated one is left for DuckDB to reject.
                    i = closed;
                    break;
                case '-' when At(sql, i + 1, '-'):
                    i = SkipPast(sql, i + 2, "\n");
                    break;
                case '/' when At(sql, i + 1, '*'):
                    i = SkipPast(sql, i + 2, "*/");
                    break;
                case '?' or ':' or '@' or '$':
                    // A parameter (?1, :name, @name, $name): its name is not a table reference.
                    i = SkipWord(sql, i + 1);
                    break;
                default:
                    if (IsWordStart(c))
                    {
                        var end = SkipWord(sql, i);
                        if (end - i == Table.Length && sql.AsSpan(i, end - i).Equals(Table, StringComparison.OrdinalIgnoreCase))
                        {
                            rewritten ??= new StringBuilder(sql.Length + 8);
                            rewritten.Append(sql, copiedUpTo, i - copiedUpTo).Append(Quoted);
                            copiedUpTo = end;
                        }
                        i = end;
                    }
                    else if (char.IsAsciiDigit(c))
                    {
                        // A number such as 1e5 or 0x1F: its letters are not a word.
                        i = SkipWord(sql, i);
                    }
                    else
                    {
                        i++;
                    }
                    break;
            }
        }
        return rewritten is null ? sql : rewritten.Append(sql, copiedUpTo, sql.Length - copiedUpTo).ToString();
    }

    private static bool At(string sql, int index, char expected) => index < sql.Length && sql[index] == expected;

    /// <summary>Identifier characters: ASCII letters, digits, '_', '$' and every non-ASCII character.</summary>
    private static bool IsWordStart(char c) => char.IsAsciiLetter(c) || c == '_' || c > '\u007f';

    private static int SkipWord(string sql, int index)
    {
        while (index < sql.Length && (IsWordStart(sql[index]) || char.IsAsciiDigit(sql[index]) || sql[index] == '$'))
        {
            index++;
        }
        return index;
    }

    /// <summary>Skips a literal or identifier quoted with <paramref name="quote"/>, where a doubled quote stands for one.</summary>
    private static int SkipQuoted(string sql, int index, char quote)
    {
        index++;
        while (index < sql.Length)
        {
            if (sql[index] == quote)
            {
                if (!At(sql, index + 1, quote))
                {
                    return index + 1;
                }
                index++;
            }
            index++;
        }
        return index;
    }

    private static int SkipPast(string sql, int index, string terminator)
    {
        var found = sql.IndexOf(terminator, index, StringComparison.Ordinal);
        return found < 0 ? sql.Length : found + terminator.Length;
    }
}
