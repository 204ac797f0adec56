using System.Text;
using Sluice.Vtl.Parsing;
using Sluice.Vtl.Runtime;
using Sluice.Vtl.Syntax;

namespace Sluice.Vtl;

/// <summary>
/// A Velocity Template Language template held to Apache Velocity 1.7, parsed once into a tree and rendered
/// many times. Instances are immutable and safe to render from many threads at once.
/// </summary>
/// <remarks>
/// Values a template sees: null, string, bool, int/long (Java Integer/Long arithmetic), double, decimal,
/// <see cref="IList{T}"/> of object (a Java List), <see cref="IDictionary{TKey,TValue}"/> of string to object
/// (a Java Map: <c>$map.key</c> is <c>$map.get("key")</c>, <c>#set($map.key = 1)</c> is a put), arrays, and
/// <see cref="IVtlObject"/> host objects. Maps and lists passed in may be changed by the template, as in Velocity;
/// variables it sets do not leak into the caller's dictionary.
/// </remarks>
public sealed class VtlTemplate
{
    private readonly Node[] _nodes;
    private readonly IReadOnlyDictionary<string, MacroDefinition> _macros;

    private VtlTemplate(string? name, Node[] nodes, IReadOnlyDictionary<string, MacroDefinition> macros)
    {
        Name = name;
        _nodes = nodes;
        _macros = macros;
    }

    /// <summary>Name used in error messages.</summary>
    public string? Name { get; }

    /// <summary>The template text as parsed (e.g. to show a stored template back to its author).</summary>
    public string Source { get; private init; } = "";

    /// <summary>Parses a template. Throws <see cref="VtlParseException"/> with line and column on bad syntax.</summary>
    /// <param name="source">The template text.</param>
    /// <param name="name">A name for error messages (e.g. the route and content type).</param>
    public static VtlTemplate Parse(string source, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var parser = new VtlParser(source, name, new Dictionary<string, MacroDefinition>(StringComparer.Ordinal));
        try
        {
            var nodes = parser.ParseTemplate();
            return new VtlTemplate(name, nodes, parser.Macros) { Source = source };
        }
        catch (InsufficientExecutionStackException)
        {
            throw new VtlParseException("The template nests too deeply to parse", name, 0, 0);
        }
    }

    /// <summary>Renders to a string.</summary>
    /// <param name="variables">The variables (<c>$name</c>) the template reads.</param>
    /// <param name="limits">Bounds for this render; <see cref="VtlLimits.Default"/> when null.</param>
    /// <exception cref="VtlRenderException">A method failed, an index was out of range, a value could not be iterated.</exception>
    /// <exception cref="VtlLimitExceededException">A bound of <paramref name="limits"/> was breached.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit is zero or negative.</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables, VtlLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(variables);
        limits = Check(limits);
        var buffers = RenderBuffers.Rent();
        try
        {
            Run(buffers.Output.Begin(buffers.Builder, limits.MaxOutputChars, nameof(VtlLimits.MaxOutputChars)), variables, limits, buffers.State);
            return buffers.Builder.ToString();
        }
        finally
        {
            RenderBuffers.Return(buffers);
        }
    }

    /// <summary>Renders into <paramref name="output"/>; on an error, what was written before it stays written.</summary>
    /// <param name="output">Where the text goes.</param>
    /// <param name="variables">The variables (<c>$name</c>) the template reads.</param>
    /// <param name="limits">Bounds for this render; <see cref="VtlLimits.Default"/> when null.</param>
    public void Render(TextWriter output, IReadOnlyDictionary<string, object?> variables, VtlLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(variables);
        limits = Check(limits);
        var buffers = RenderBuffers.Rent();
        try
        {
            Run(buffers.Output.Begin(output, limits.MaxOutputChars), variables, limits, buffers.State);
        }
        finally
        {
            RenderBuffers.Return(buffers);
        }
    }

    private static VtlLimits Check(VtlLimits? limits)
    {
        limits ??= VtlLimits.Default;
        if (limits.MaxOutputChars <= 0 || limits.MaxIterations < 0 || limits.MaxSteps <= 0 || limits.MaxDepth <= 0
            || limits.MaxStringLength <= 0 || limits.MaxCollectionSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limits), limits, "Every VTL limit must be positive (MaxIterations may be 0).");
        }

        return limits;
    }

    private void Run(VtlOutput output, IReadOnlyDictionary<string, object?> variables, VtlLimits limits, RenderState kept)
    {
        var state = kept.Begin(variables, limits, Name, _macros, output);
        try
        {
            foreach (var node in _nodes)
            {
                // #break at the top level ends the template, as #stop does.
                if (node.Render(state) != Flow.Normal)
                {
                    break;
                }
            }
        }
        catch (VtlException)
        {
            throw;
        }
        catch (InsufficientExecutionStackException)
        {
            throw state.Limit(nameof(VtlLimits.MaxDepth), "the template nests too deeply for the stack");
        }
        catch (Exception e) when (e is InvalidCastException or NullReferenceException or ArgumentException or InvalidOperationException
            or IndexOutOfRangeException or OverflowException or FormatException)
        {
            var (line, column) = state.Position;
            throw new VtlRenderException("Rendering failed: " + e.Message, Name, line, column, e);
        }
    }
}
