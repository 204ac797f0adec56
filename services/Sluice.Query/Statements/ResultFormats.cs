namespace Sluice.Query.Statements;

/// <summary>The Data API's ResultFormat values: which operation reads a statement's result.</summary>
public static class ResultFormats
{
    /// <summary>Records as typed fields, read with GetStatementResult (the default).</summary>
    public const string Json = "JSON";

    /// <summary>Records as CSV text, read with GetStatementResultV2.</summary>
    public const string Csv = "CSV";

    /// <summary>The format a request names; JSON when it names none.</summary>
    /// <exception cref="QueryException">ValidationException for any other value.</exception>
    public static string Parse(string? value) => value switch
    {
        null or "" or Json => Json,
        Csv => Csv,
        _ => throw QueryException.Validation("ResultFormat",
            $"ResultFormat '{(value.Length > 32 ? value[..32] + "..." : value)}' is not valid: use JSON or CSV."),
    };
}
