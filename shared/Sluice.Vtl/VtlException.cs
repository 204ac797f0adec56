namespace Sluice.Vtl;

/// <summary>Base of every error raised by the VTL engine; carries where in the template it happened.</summary>
public class VtlException : Exception
{
    /// <summary>Creates an error at a position of a template.</summary>
    public VtlException(string message, string? templateName, int line, int column, Exception? inner = null)
        : base(Format(message, templateName, line, column), inner)
    {
        Reason = message;
        TemplateName = templateName;
        Line = line;
        Column = column;
    }

    /// <summary>The message without the position.</summary>
    public string Reason { get; }

    /// <summary>Name given at <see cref="VtlTemplate.Parse"/>, if any.</summary>
    public string? TemplateName { get; }

    /// <summary>1-based line of the failing construct (0 when unknown).</summary>
    public int Line { get; }

    /// <summary>1-based column of the failing construct (0 when unknown).</summary>
    public int Column { get; }

    private static string Format(string message, string? name, int line, int column) =>
        line <= 0 ? message : $"{message} at {name ?? "template"}[line {line}, column {column}]";
}

/// <summary>The template text is not valid VTL.</summary>
public sealed class VtlParseException(string message, string? templateName, int line, int column)
    : VtlException(message, templateName, line, column);

/// <summary>Rendering failed: a host method threw, bad arithmetic, a bad argument.</summary>
public sealed class VtlRenderException(string message, string? templateName, int line, int column, Exception? inner = null)
    : VtlException(message, templateName, line, column, inner);

/// <summary>A <see cref="VtlLimits"/> bound was breached.</summary>
public sealed class VtlLimitExceededException(string limit, string message, string? templateName, int line, int column)
    : VtlException(message, templateName, line, column)
{
    /// <summary>Name of the breached limit, as the <see cref="VtlLimits"/> property (e.g. <c>MaxIterations</c>).</summary>
    public string Limit { get; } = limit;
}
