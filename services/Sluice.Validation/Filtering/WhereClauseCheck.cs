using Sluice.Validation.CustomSql;

namespace Sluice.Validation.Filtering;

/// <summary>
/// A where clause is one SQL expression put inside <c>WHERE ( ... )</c>: it may not close that parenthesis early or
/// start another statement. Quotes (<c>'…'</c>, <c>"…"</c>) and comments are skipped while checking.
/// </summary>
internal static class WhereClauseCheck
{
    /// <summary>Longest where clause accepted, in characters.</summary>
    public const int MaxLength = 8192;

    /// <exception cref="CustomSqlException">The clause is empty, too long, unbalanced, or holds a ';'.</exception>
    public static void ThrowIfNotOneExpression(string clause)
    {
        if (clause.Length > MaxLength)
        {
            throw new CustomSqlException($"The where clause is longer than {MaxLength} characters.");
        }
        var depth = 0;
        for (var i = 0; i < clause.Length; i++)
        {
            var c = clause[i];
            switch (c)
            {
                case '\'' or '"':
                    var end = clause.IndexOf(c, i + 1);
                    while (end >= 0 && end + 1 < clause.Length && clause[end + 1] == c)
                    {
                        end = clause.IndexOf(c, end + 2);
                    }
                    if (end < 0)
                    {
                        throw new CustomSqlException($"The where clause has an unterminated {(c == '\'' ? "string" : "quoted name")}.");
                    }
                    i = end;
                    break;
                case '-' when i + 1 < clause.Length && clause[i + 1] == '-':
                    throw new CustomSqlException("The where clause may not hold comments.");
                case '/' when i + 1 < clause.Length && clause[i + 1] == '*':
                    throw new CustomSqlException("The where clause may not hold comments.");
                case '(':
                    depth++;
                    break;
                case ')':
                    if (--depth < 0)
                    {
                        throw new CustomSqlException("The where clause closes a parenthesis it did not open.");
                    }
                    break;
                case ';':
                    throw new CustomSqlException("The where clause must be one expression, without ';'.");
            }
        }
        if (depth != 0)
        {
            throw new CustomSqlException("The where clause leaves a parenthesis open.");
        }
    }
}
