namespace Sluice.Vtl;

/// <summary>
/// A Velocity Template Language template held to Apache Velocity 1.7, parsed once and rendered many times.
/// Instances are immutable and safe to render from many threads at once.
/// </summary>
public sealed class VtlTemplate
{
    private VtlTemplate(string? name) => Name = name;

    /// <summary>Name used in error messages.</summary>
    public string? Name { get; }

    /// <summary>Parses a template. Throws <see cref="VtlParseException"/> with line and column on bad syntax.</summary>
    public static VtlTemplate Parse(string source, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new VtlTemplate(name);
    }

    /// <summary>Renders to a string.</summary>
    public string Render(IReadOnlyDictionary<string, object?> variables, VtlLimits? limits = null)
    {
        var writer = new StringWriter();
        Render(writer, variables, limits);
        return writer.ToString();
    }

    /// <summary>Renders into <paramref name="output"/>. Variables set by the template do not leak into <paramref name="variables"/>,
    /// but maps and lists passed in may be changed by the template (<c>#set($map.key = 1)</c>), as in Velocity.</summary>
    public void Render(TextWriter output, IReadOnlyDictionary<string, object?> variables, VtlLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(variables);
        throw new NotImplementedException("Sluice.Vtl: rendering arrives in the next commit.");
    }
}
