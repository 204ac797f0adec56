using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Sluice.Vtl.Syntax;

namespace Sluice.Vtl.Runtime;

/// <summary>
/// Everything one render owns: the variables it set (over the caller's, which it never changes), the output,
/// and the counters behind <see cref="VtlLimits"/>. One per render, never shared between threads.
/// </summary>
internal sealed class RenderState
{
    /// <summary>Marks a variable the template never set in this render (distinct from one it set to null).</summary>
    private static readonly object NotSet = new();

    private static readonly IReadOnlyDictionary<string, object?> NoInput = new Dictionary<string, object?>();
    private static readonly IReadOnlyDictionary<string, MacroDefinition> NoMacros = new Dictionary<string, MacroDefinition>();

    private readonly Dictionary<string, object?> _locals;
    private IReadOnlyDictionary<string, object?> _input = NoInput;
    private long _steps;
    private long _iterations;
    private int _depth;
    private int _line;
    private int _column;

    /// <summary>A state for renders that use <paramref name="locals"/>; each render starts with <see cref="Begin"/>.</summary>
    public RenderState(Dictionary<string, object?> locals)
    {
        _locals = locals;
    }

    public VtlLimits Limits { get; private set; } = VtlLimits.Default;
    public string? TemplateName { get; private set; }
    public IReadOnlyDictionary<string, MacroDefinition> Macros { get; private set; } = NoMacros;
    public VtlOutput Output { get; private set; } = null!;

    /// <summary>Starts a render: its inputs, bounds and output, with every counter at zero.</summary>
    public RenderState Begin(IReadOnlyDictionary<string, object?> input, VtlLimits limits, string? templateName,
        IReadOnlyDictionary<string, MacroDefinition> macros, VtlOutput output)
    {
        Debug.Assert(_locals.Count == 0, "a render starts with no variables of its own");
        _input = input;
        Limits = limits;
        TemplateName = templateName;
        Macros = macros;
        Output = output;
        output.Attach(this);
        (_steps, _iterations, _depth, _line, _column) = (0, 0, 0, 0, 0);
        return this;
    }

    /// <summary>Lets go of the last render's inputs and output, so a kept state holds nothing of it.</summary>
    public void End()
    {
        _input = NoInput;
        Macros = NoMacros;
        Output = null!;
    }

    public object? GetVariable(string name)
    {
        if (_locals.TryGetValue(name, out var value))
        {
            return value is MacroArgument argument ? argument.Evaluate(this, name) : value;
        }

        return _input.TryGetValue(name, out value) ? value : null;
    }

    /// <summary>The macro argument bound to a name, when the name is a parameter of a running macro.</summary>
    public MacroArgument? GetMacroArgument(string name) => _locals.TryGetValue(name, out var value) ? value as MacroArgument : null;

    public void SetVariable(string name, object? value) => _locals[name] = value;

    /// <summary>Boxed small integers and booleans, so loop counters do not allocate on every iteration.</summary>
    public static object Box(int value) => (uint)value < (uint)BoxedInts.Length ? BoxedInts[value] : value;

    public static object Box(bool value) => value ? True : False;

    private static readonly object[] BoxedInts = Enumerable.Range(0, 1024).Select(i => (object)i).ToArray();
    private static readonly object True = true;
    private static readonly object False = false;

    public object? GetLocalSlot(string name) => _locals.TryGetValue(name, out var value) ? value : NotSet;

    public void RestoreLocalSlot(string name, object? saved)
    {
        if (ReferenceEquals(saved, NotSet))
        {
            _locals.Remove(name);
        }
        else
        {
            _locals[name] = saved;
        }
    }

    public void Step(Node node)
    {
        _line = node.Line;
        _column = node.Column;
        if (++_steps > Limits.MaxSteps)
        {
            throw Limit(nameof(VtlLimits.MaxSteps), $"the template ran more than {Limits.MaxSteps} steps");
        }
    }

    public void Step(Modifier modifier)
    {
        if (++_steps > Limits.MaxSteps)
        {
            _line = modifier.Line;
            _column = modifier.Column;
            throw Limit(nameof(VtlLimits.MaxSteps), $"the template ran more than {Limits.MaxSteps} steps");
        }
    }

    public void Iterate(Node loop)
    {
        if (++_iterations > Limits.MaxIterations)
        {
            _line = loop.Line;
            _column = loop.Column;
            throw Limit(nameof(VtlLimits.MaxIterations), $"loops ran more than {Limits.MaxIterations} iterations");
        }
    }

    public void Enter(Node node, string what)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        if (++_depth > Limits.MaxDepth)
        {
            _depth--;
            _line = node.Line;
            _column = node.Column;
            throw Limit(nameof(VtlLimits.MaxDepth), $"{what} nested deeper than {Limits.MaxDepth} levels");
        }
    }

    public void Enter(Expr expr, string what)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        if (++_depth > Limits.MaxDepth)
        {
            _depth--;
            _line = expr.Line;
            _column = expr.Column;
            throw Limit(nameof(VtlLimits.MaxDepth), $"{what} nested deeper than {Limits.MaxDepth} levels");
        }
    }

    public void Leave() => _depth--;

    public void CheckStringLength(long length, Expr at)
    {
        if (length > Limits.MaxStringLength)
        {
            _line = at.Line;
            _column = at.Column;
            throw Limit(nameof(VtlLimits.MaxStringLength), $"a string of {length} characters exceeds {Limits.MaxStringLength}");
        }
    }

    public void CheckStringLength(long length, Modifier at)
    {
        if (length > Limits.MaxStringLength)
        {
            _line = at.Line;
            _column = at.Column;
            throw Limit(nameof(VtlLimits.MaxStringLength), $"a string of {length} characters exceeds {Limits.MaxStringLength}");
        }
    }

    public void CheckCollectionSize(long size, Expr at)
    {
        if (size > Limits.MaxCollectionSize)
        {
            _line = at.Line;
            _column = at.Column;
            throw Limit(nameof(VtlLimits.MaxCollectionSize), $"a collection of {size} elements exceeds {Limits.MaxCollectionSize}");
        }
    }

    public void CheckCollectionSize(long size, Modifier at)
    {
        if (size > Limits.MaxCollectionSize)
        {
            _line = at.Line;
            _column = at.Column;
            throw Limit(nameof(VtlLimits.MaxCollectionSize), $"a collection of {size} elements exceeds {Limits.MaxCollectionSize}");
        }
    }

    public VtlLimitExceededException Limit(string limit, string message) =>
        new(limit, $"Template limit {limit} exceeded: {message}", TemplateName, _line, _column);

    public VtlRenderException Error(string message, int line, int column, Exception? inner = null) =>
        new(message, TemplateName, line, column, inner);

    /// <summary>Renders nodes into a string (interpolated literals, #define blocks used as values).</summary>
    public string RenderToString(Node[] body, Expr at)
    {
        var saved = Output;
        var buffer = new VtlOutput(new StringBuilder(), Limits.MaxStringLength, nameof(VtlLimits.MaxStringLength));
        buffer.Attach(this);
        Output = buffer;
        Enter(at, "string rendering");
        try
        {
            foreach (var node in body)
            {
                if (node.Render(this) != Flow.Normal)
                {
                    break;
                }
            }

            return buffer.ToString();
        }
        finally
        {
            Leave();
            Output = saved;
        }
    }

    public (int Line, int Column) Position => (_line, _column);
}

/// <summary>
/// The builder and variable table of the last finished render on this thread, reused by the next one so a
/// render allocates little more than its result. A render that starts while another runs on the same thread
/// (a host object rendering a template) simply gets fresh ones.
/// </summary>
internal sealed class RenderBuffers
{
    private const int MaxKeptCapacity = 64 * 1024;

    [ThreadStatic]
    private static RenderBuffers? t_cached;

    public RenderBuffers()
    {
        State = new RenderState(Locals);
    }

    public StringBuilder Builder { get; } = new(1024);
    public Dictionary<string, object?> Locals { get; } = new(StringComparer.Ordinal);

    /// <summary>The render's state and output, kept with the buffers: a render allocates neither.</summary>
    public RenderState State { get; }
    public VtlOutput Output { get; } = new();

    public static RenderBuffers Rent()
    {
        var buffers = t_cached ?? new RenderBuffers();
        t_cached = null;
        return buffers;
    }

    public static void Return(RenderBuffers buffers)
    {
        // Values the template set must not outlive the render; very large builders are not kept.
        buffers.Locals.Clear();
        buffers.Builder.Clear();
        buffers.State.End();
        buffers.Output.End();
        if (buffers.Builder.Capacity <= MaxKeptCapacity && buffers.Locals.Count == 0)
        {
            t_cached = buffers;
        }
    }
}

/// <summary>The render's sink: counts what it writes against the output limit.</summary>
internal sealed class VtlOutput
{
    private StringBuilder? _builder;
    private TextWriter? _writer;
    private long _max;
    private string _limitName = nameof(VtlLimits.MaxOutputChars);
    private long _written;
    private RenderState? _state;

    /// <summary>An output to <see cref="Begin(StringBuilder, long, string)"/> for each render (kept with the render buffers).</summary>
    public VtlOutput()
    {
    }

    public VtlOutput(StringBuilder builder, long max, string limitName)
    {
        Begin(builder, max, limitName);
    }

    /// <summary>Writes into <paramref name="builder"/>, at most <paramref name="max"/> characters (the limit named <paramref name="limitName"/>).</summary>
    public VtlOutput Begin(StringBuilder builder, long max, string limitName)
    {
        (_builder, _writer, _max, _limitName, _written) = (builder, null, max, limitName, 0);
        return this;
    }

    /// <summary>Writes to <paramref name="writer"/>, at most <paramref name="max"/> characters.</summary>
    public VtlOutput Begin(TextWriter writer, long max)
    {
        (_builder, _writer, _max, _limitName, _written) = (null, writer, max, nameof(VtlLimits.MaxOutputChars), 0);
        return this;
    }

    /// <summary>Lets go of the last render's sink and state.</summary>
    public void End() => (_builder, _writer, _state) = (null, null, null);

    public void Attach(RenderState state) => _state = state;

    public void Write(string text)
    {
        _written += text.Length;
        if (_written > _max)
        {
            throw _state!.Limit(_limitName, $"the output is longer than {_max} characters");
        }

        if (_builder is not null)
        {
            _builder.Append(text);
        }
        else
        {
            _writer!.Write(text);
        }
    }

    public override string ToString() => _builder?.ToString() ?? "";
}
