using Sluice.Vtl.Runtime;

namespace Sluice.Vtl.Syntax;

/// <summary><c>#set($ref = expr)</c>. A null right-hand side leaves the target untouched (Velocity 1.7's default).</summary>
internal sealed class SetNode(ReferenceExpr target, Expr value, int line, int column) : Node(line, column)
{
    public override Flow Render(RenderState state)
    {
        state.Step(this);
        var v = value.Evaluate(state);
        if (v is not null)
        {
            target.Assign(state, v);
        }

        return Flow.Normal;
    }
}

/// <summary><c>#if</c> with its <c>#elseif</c> branches; a null condition array slot stands for <c>#else</c>.</summary>
internal sealed class IfNode(Expr?[] conditions, Node[][] blocks, int line, int column) : Node(line, column)
{
    public override Flow Render(RenderState state)
    {
        state.Step(this);
        for (var i = 0; i < conditions.Length; i++)
        {
            if (conditions[i] is not { } condition || condition.IsTrue(state))
            {
                return RenderBlock(blocks[i], state);
            }
        }

        return Flow.Normal;
    }
}

/// <summary>
/// <c>#foreach($item in expr)</c>: lists, arrays, map values and host enumerables. Sets <c>$foreach</c>,
/// <c>$velocityCount</c> and <c>$velocityHasNext</c>, and restores them and the item afterwards as Velocity does.
/// </summary>
internal sealed class ForeachNode(string variable, Expr source, Node[] body, int line, int column) : Node(line, column)
{
    private const string CounterName = "velocityCount";
    private const string HasNextName = "velocityHasNext";
    private const string ScopeName = "foreach";

    public override Flow Render(RenderState state)
    {
        state.Step(this);
        var items = source.Evaluate(state);
        if (items is null)
        {
            return Flow.Normal;
        }

        // Velocity 1.7 skips what it cannot iterate (directive.foreach.skip.invalid defaults to true).
        var enumerable = Members.AsEnumerable(items);
        if (enumerable is null)
        {
            return Flow.Normal;
        }

        var savedItem = state.GetLocalSlot(variable);
        var savedCounter = state.GetLocalSlot(CounterName);
        var savedHasNext = state.GetLocalSlot(HasNextName);
        var savedScope = state.GetLocalSlot(ScopeName);
        var scope = new ForeachScope(state.GetVariable(ScopeName));
        state.SetVariable(ScopeName, scope);
        var flow = Flow.Normal;
        try
        {
            var e = enumerable.GetEnumerator();
            var collection = enumerable as System.Collections.ICollection;
            var initialCount = collection?.Count ?? 0;
            var counter = 1;
            var hasNext = e.MoveNext();
            while (hasNext)
            {
                state.Iterate(this);
                var item = e.Current;
                hasNext = e.MoveNext();
                state.SetVariable(CounterName, RenderState.Box(counter++));
                state.SetVariable(HasNextName, RenderState.Box(hasNext));
                state.SetVariable(variable, item);
                scope.Index++;
                scope.HasNext = hasNext;
                flow = RenderBlock(body, state);
                if (flow != Flow.Normal)
                {
                    break;
                }

                // Java's iterator fails on its next step after the list changed under it (ConcurrentModificationException).
                // (When the change leaves the cursor at the end, its hasNext() is false and the loop just ends.)
                if (collection is not null && collection.Count != initialCount)
                {
                    if (counter - 1 < collection.Count)
                    {
                        throw new VtlRenderException("#foreach: the collection was changed while iterating it", state.TemplateName, Line, Column);
                    }

                    break;
                }
            }
        }
        catch (InvalidOperationException ex)
        {
            throw new VtlRenderException("#foreach: the collection was changed while iterating it", state.TemplateName, Line, Column, ex);
        }
        finally
        {
            state.RestoreLocalSlot(variable, savedItem);
            state.RestoreLocalSlot(CounterName, savedCounter);
            state.RestoreLocalSlot(HasNextName, savedHasNext);
            state.RestoreLocalSlot(ScopeName, savedScope);
        }

        return flow == Flow.Stop ? Flow.Stop : Flow.Normal;
    }
}

internal sealed class BreakNode(int line, int column) : Node(line, column)
{
    public override Flow Render(RenderState state) => Flow.Break;
}

internal sealed class StopNode(int line, int column) : Node(line, column)
{
    public override Flow Render(RenderState state) => Flow.Stop;
}

/// <summary><c>#define($name) body #end</c>: the variable holds the block, rendered where it is referenced.</summary>
internal sealed class DefineNode(string variable, Node[] body, int line, int column) : Node(line, column)
{
    public override Flow Render(RenderState state)
    {
        state.Step(this);
        state.SetVariable(variable, new DefinedBlock(body));
        return Flow.Normal;
    }
}

/// <summary>
/// A macro parameter: Velocity passes arguments by name, so each use of the parameter evaluates the caller's
/// expression again (with the parameter's name meaning what it meant to the caller).
/// </summary>
internal sealed class MacroArgument(Expr expression, object? callerSlot)
{
    public Expr Expression { get; } = expression;

    public object? Evaluate(RenderState state, string name)
    {
        state.RestoreLocalSlot(name, callerSlot);
        state.Enter(Expression, "macro argument");
        try
        {
            return Expression.Evaluate(state);
        }
        finally
        {
            state.Leave();
            state.SetVariable(name, this);
        }
    }
}

internal sealed class MacroDefinition(string name, string[] parameters, Node[] body)
{
    public string Name { get; } = name;
    public string[] Parameters { get; } = parameters;
    public Node[] Body { get; } = body;
}

/// <summary>
/// <c>#name(args)</c>: a call of a macro of the template, looked up when rendered (a macro may be defined after
/// its first use). An unknown name prints the call as written, as Velocity does.
/// </summary>
internal sealed class MacroCallNode(string name, Expr[] arguments, string literal, int line, int column) : Node(line, column)
{
    public override Flow Render(RenderState state)
    {
        state.Step(this);
        if (!state.Macros.TryGetValue(name, out var macro))
        {
            state.Output.Write(literal);
            return Flow.Normal;
        }

        var parameters = macro.Parameters;
        var saved = new object?[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            saved[i] = state.GetLocalSlot(parameters[i]);
        }

        state.Enter(this, "macro #" + name);
        try
        {
            for (var i = 0; i < parameters.Length; i++)
            {
                if (i < arguments.Length)
                {
                    state.SetVariable(parameters[i], new MacroArgument(arguments[i], saved[i]));
                }
            }

            return RenderBlock(macro.Body, state) == Flow.Stop ? Flow.Stop : Flow.Normal;
        }
        finally
        {
            state.Leave();
            for (var i = 0; i < parameters.Length; i++)
            {
                state.RestoreLocalSlot(parameters[i], saved[i]);
            }
        }
    }
}

/// <summary><c>#evaluate(expr)</c>: parses the value as a template and renders it in the current context.</summary>
internal sealed class EvaluateNode(Expr source, IReadOnlyDictionary<string, MacroDefinition> macros, int line, int column) : Node(line, column)
{
    public override Flow Render(RenderState state)
    {
        state.Step(this);
        var value = source.Evaluate(state);
        var text = value is null ? null : JavaValues.ToJavaString(value, state);
        if (string.IsNullOrEmpty(text))
        {
            return Flow.Normal;
        }

        state.CheckStringLength(text.Length, source);
        Node[] nodes;
        try
        {
            nodes = new Parsing.VtlParser(text, state.TemplateName, new Dictionary<string, MacroDefinition>(macros)).ParseTemplate();
        }
        catch (VtlParseException e)
        {
            throw new VtlRenderException("#evaluate: " + e.Reason, state.TemplateName, Line, Column, e);
        }

        state.Enter(this, "#evaluate");
        try
        {
            return RenderBlock(nodes, state) == Flow.Stop ? Flow.Stop : Flow.Normal;
        }
        finally
        {
            state.Leave();
        }
    }
}

/// <summary><c>#include</c> and <c>#parse</c> read resources; a mapping template has none.</summary>
internal sealed class UnsupportedNode(string directive, int line, int column) : Node(line, column)
{
    public override Flow Render(RenderState state) =>
        throw new VtlRenderException($"#{directive} is not supported: mapping templates have no resources to load", state.TemplateName, Line, Column);
}
