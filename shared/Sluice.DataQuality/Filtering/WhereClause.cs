namespace Sluice.DataQuality.Filtering;

/// <summary>A where clause in the subset evaluated in process (<see cref="WhereParser"/>).</summary>
internal sealed class WhereClause(string text, WhereNode root, IReadOnlyList<string> columns, bool[] columnInArithmetic)
{
    public string Text { get; } = text;
    public WhereNode Root { get; } = root;
    /// <summary>The columns it reads, as first written (one entry per name, ASCII case ignored as DuckDB does).</summary>
    public IReadOnlyList<string> Columns { get; } = columns;
    /// <summary>Per column: whether it feeds arithmetic.</summary>
    public IReadOnlyList<bool> ColumnInArithmetic { get; } = columnInArithmetic;
}

/// <summary>What kinds of value a referenced column held over the whole pass, the evidence for DuckDB's column type.</summary>
[Flags]
internal enum ObservedKinds
{
    None = 0,
    Integer = 1,
    Fraction = 2,
    /// <summary>An integer that a DOUBLE does not hold exactly.</summary>
    IntegerBeyondDouble = 4,
    /// <summary>An integer beyond BIGINT.</summary>
    Huge = 8,
    Boolean = 16,
    /// <summary>A string DuckDB's JSON reader cannot type as a date, time, timestamp or UUID.</summary>
    Text = 32,
    /// <summary>A string it might type so (digits, dashes, colons, hex ...).</summary>
    AmbiguousText = 64,
    Date = 128,
    TimestampT = 256,
    TimestampSpace = 512,
    TimestampZ = 1024,
    Nested = 2048,
    /// <summary>Two keys of a row, or two keys of the dataset differing only in case, that name this column.</summary>
    AmbiguousKey = 4096,
}

/// <summary>
/// Decides after the pass whether the values a clause read were typed as the DuckDB copy types their columns (over
/// every row, as <c>read_json</c> with <c>sample_size = -1</c> does): else the clause's answer is not trusted and it
/// goes to DuckDB.
/// </summary>
internal static class ColumnTypeCheck
{
    private const ObservedKinds Numeric = ObservedKinds.Integer | ObservedKinds.Fraction;
    private const ObservedKinds Strings = ObservedKinds.Text | ObservedKinds.AmbiguousText;

    /// <summary>Null when the in-process answer stands; else why the clause needs DuckDB.</summary>
    public static string? WhyNot(string column, ObservedKinds kinds, bool seen, bool inArithmetic)
    {
        if (!seen)
        {
            return $"no key of the dataset is named {column}";
        }
        if ((kinds & ObservedKinds.AmbiguousKey) != 0)
        {
            return $"the dataset has several keys named {column} (ignoring case) or repeats it in a row";
        }
        if ((kinds & (ObservedKinds.Nested | ObservedKinds.Huge)) != 0)
        {
            return $"column {column} holds nested values or integers beyond BIGINT";
        }
        var family = kinds & ~ObservedKinds.IntegerBeyondDouble;
        return family switch
        {
            ObservedKinds.None => $"column {column} holds only nulls",
            ObservedKinds.Integer or ObservedKinds.Fraction or ObservedKinds.Boolean or ObservedKinds.Date
                or ObservedKinds.TimestampT or ObservedKinds.TimestampSpace or ObservedKinds.TimestampZ => null,
            // Integers in a DOUBLE column: compared alike, computed differently (and doubles lose integers past 2^53).
            Numeric when !inArithmetic && (kinds & ObservedKinds.IntegerBeyondDouble) == 0 => null,
            ObservedKinds.Text or Strings => null,
            ObservedKinds.AmbiguousText => $"column {column} holds only strings DuckDB may read as dates, times or UUIDs",
            _ => $"column {column} holds values of several types",
        };
    }
}
