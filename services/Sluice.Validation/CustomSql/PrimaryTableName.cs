using System.Text;

namespace Sluice.Validation.CustomSql;

/// <summary>
/// The table <c>primary</c> that DQDL's CustomSql statements read. PRIMARY is a reserved word in SQLite (Spark SQL,
/// which Glue runs, accepts it as a table name), so the bare word is quoted before SQLite sees the statement.
/// </summary>
internal static class PrimaryTableName
{
    /// <summary>The table's name in the embedded copy.</summary>
    public const string Table = "primary";

    /// <summary>The table's name as a quoted SQLite identifier.</summary>
    public const string Quoted = "\"primary\"";

    /// <summary>
    /// Quotes every bare word <c>primary</c> (any case) of <paramref name="sql"/>. String literals, quoted identifiers
    /// (<c>"…"</c>, <c>`…`</c>, <c>[…]</c>), comments and parameters are copied as they are. In a query the keyword
    /// PRIMARY has no other use (it only appears in DDL's PRIMARY KEY), so the rewrite cannot change its meaning.
    /// </summary>
    public static string QuoteBareReferences(string sql)
    {
        StringBuilder? rewritten = null;
        var copiedUpTo = 0;
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            switch (c)
            {
                case '\'' or '"' or '`':
                    i = SkipQuoted(sql, i, c);
                    break;
                case '[':
                    i = SkipPast(sql, i + 1, "]");
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

    /// <summary>SQLite's identifier characters: ASCII letters, digits, '_', '$' and every non-ASCII character.</summary>
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
