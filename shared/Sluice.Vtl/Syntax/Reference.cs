using Sluice.Vtl.Runtime;

namespace Sluice.Vtl.Syntax;

/// <summary>One step after the root of a reference: <c>.name</c>, <c>.name(args)</c> or <c>[index]</c>.</summary>
internal abstract class Modifier(int line, int column)
{
    public int Line { get; } = line;
    public int Column { get; } = column;

    public abstract object? Apply(object target, RenderState state);
}

internal sealed class PropertyModifier(string name, int line, int column) : Modifier(line, column)
{
    public string Name { get; } = name;

    public override object? Apply(object target, RenderState state) => Members.GetProperty(target, Name, state, this);
}

internal sealed class MethodModifier(string name, Expr[] arguments, int line, int column) : Modifier(line, column)
{
    public string Name { get; } = name;

    public override object? Apply(object target, RenderState state)
    {
        state.Step(this);
        var args = arguments.Length == 0 ? [] : new object?[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            args[i] = arguments[i].Evaluate(state);
        }

        return Members.Invoke(target, Name, args, state, this);
    }
}

internal sealed class IndexModifier(Expr index, int line, int column) : Modifier(line, column)
{
    public Expr Index { get; } = index;

    public override object? Apply(object target, RenderState state) => Members.GetIndex(target, Index.Evaluate(state), state, this);
}

/// <summary>
/// <c>$name</c>, <c>$!name</c>, <c>${name}</c> with their modifiers, and the backslashes written before them.
/// Velocity prints an unresolved reference as written, and a backslash escapes only a reference that resolves.
/// </summary>
internal sealed class ReferenceExpr(string root, Modifier[] modifiers, int line, int column) : Expr(line, column)
{
    public string Root { get; } = root;
    public Modifier[] Modifiers { get; } = modifiers;
    public bool Quiet { get; init; }
    public bool Escaped { get; init; }

    /// <summary>Half the backslashes written before the <c>$</c>.</summary>
    public string EscapePrefix { get; init; } = "";

    /// <summary>A <c>$\!x</c> form: never a reference, always printed as this text.</summary>
    public string? Runt { get; init; }

    public override object? Evaluate(RenderState state)
    {
        var value = state.GetVariable(Root);
        foreach (var modifier in Modifiers)
        {
            if (value is null)
            {
                return null;
            }

            if (value is IVtlLazyMap lazy)
            {
                if (modifier is PropertyModifier property && lazy.TryGetWithoutBuilding(property.Name, out var field))
                {
                    value = field;
                    continue;
                }

                value = lazy.Build();
            }

            value = modifier.Apply(value, state);
        }

        return value is IVtlLazyMap unread ? unread.Build() : value;
    }

    public override bool IsTrue(RenderState state) => Evaluate(state) switch
    {
        null => false,
        bool b => b,
        _ => true,
    };

    public Flow RenderAsStatement(RenderState state)
    {
        var output = state.Output;
        if (Runt is not null)
        {
            output.Write(Runt);
            return Flow.Normal;
        }

        var value = Evaluate(state);
        if (Escaped)
        {
            output.Write(EscapePrefix);
            if (value is null)
            {
                output.Write("\\");
            }

            output.Write(Literal);
            return Flow.Normal;
        }

        if (value is DefinedBlock block)
        {
            output.Write(EscapePrefix);
            return block.Render(state, this);
        }

        var text = value is null ? null : JavaValues.ToJavaString(value, state);
        if (text is null)
        {
            output.Write(EscapePrefix);
            output.Write(EscapePrefix);
            if (!Quiet)
            {
                // A macro parameter that resolves to nothing prints as the caller wrote the argument.
                output.Write(Modifiers.Length == 0 && state.GetMacroArgument(Root) is { } argument ? argument.Expression.Literal : Literal);
            }

            return Flow.Normal;
        }

        output.Write(EscapePrefix);
        output.Write(text);
        return Flow.Normal;
    }

    /// <summary>#set target: a variable, or the last property/index of a chain (a put on a map, a set on a list).</summary>
    public void Assign(RenderState state, object? value)
    {
        if (Modifiers.Length == 0)
        {
            state.SetVariable(Root, value);
            return;
        }

        var target = state.GetVariable(Root);
        for (var i = 0; i < Modifiers.Length - 1 && target is not null; i++)
        {
            target = Modifiers[i].Apply(target is IVtlLazyMap lazy ? lazy.Build() : target, state);
        }

        if (target is null)
        {
            return;
        }

        if (target is IVtlLazyMap map)
        {
            target = map.Build();
        }

        switch (Modifiers[^1])
        {
            case PropertyModifier p:
                Members.SetProperty(target, p.Name, value, state, p);
                break;
            case IndexModifier ix:
                Members.SetIndex(target, ix.Index.Evaluate(state), value, state, ix);
                break;
        }
    }
}
