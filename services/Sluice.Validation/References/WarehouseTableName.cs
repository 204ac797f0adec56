namespace Sluice.Validation.References;

/// <summary>
/// A table of the query service's warehouse that multi-dataset rules compare with: a database (empty for the query
/// service's default) and a table, optionally schema-qualified ("public.customers").
/// </summary>
internal sealed record WarehouseTableName(string Database, string Table)
{
    private const int MaxIdentifierLength = 127;

    /// <summary>What is wrong with the name, or null when it names a table Sluice can read.</summary>
    public static string? Problem(string database, string table)
    {
        if (database.Length > 0 && !IsIdentifier(database))
        {
            return $"'{database}' is not a database name: letters, digits and '_', starting with a letter or '_', at most {MaxIdentifierLength} characters.";
        }
        var parts = table.Split('.');
        if (table.Length == 0 || parts.Length > 2 || !parts.All(IsIdentifier))
        {
            return $"'{table}' is not a table name: 'table' or 'schema.table', each part letters, digits and '_', starting with a letter or '_', at most {MaxIdentifierLength} characters.";
        }
        return null;
    }

    /// <summary>
    /// The statement that reads the whole table. The name is unquoted, so the engine folds its case as it does for
    /// any statement; it can hold nothing but identifier characters (checked by <see cref="Problem"/>).
    /// </summary>
    public string SelectAll() => "SELECT * FROM " + Table;

    public override string ToString() => Database.Length > 0 ? $"{Database}.{Table}" : Table;

    private static bool IsIdentifier(string part) =>
        part.Length is > 0 and <= MaxIdentifierLength && (char.IsAsciiLetter(part[0]) || part[0] == '_')
        && part.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
