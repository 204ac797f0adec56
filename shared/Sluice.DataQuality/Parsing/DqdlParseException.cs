namespace Sluice.DataQuality.Parsing;

/// <summary>A DQDL document could not be parsed; <see cref="Line"/> and <see cref="Column"/> point at the offending token.</summary>
public sealed class DqdlParseException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public DqdlParseException(string reason, int line, int column)
        : base($"DQDL parse error at line {line}, column {column}: {reason}")
    {
        Reason = reason;
        Line = line;
        Column = column;
    }

    /// <summary>What is wrong, without the position.</summary>
    public string Reason { get; }
    /// <summary>1-based line of the offending token.</summary>
    public int Line { get; }
    /// <summary>1-based column (in UTF-16 characters, a tab counts as one) of the offending token.</summary>
    public int Column { get; }
}
