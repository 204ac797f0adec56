using Sluice.Vtl.Syntax;

namespace Sluice.Vtl.Runtime;

/// <summary>Velocity's <c>$foreach</c>: index (from 0), count (from 1), hasNext, first, last, parent, topmost.</summary>
internal sealed class ForeachScope(object? parent) : IVtlObject
{
    public int Index { get; set; } = -1;
    public bool HasNext { get; set; }

    public bool TryGetProperty(string name, out object? value)
    {
        value = name switch
        {
            "index" => RenderState.Box(Index),
            "count" => RenderState.Box(Index + 1),
            "hasNext" => RenderState.Box(HasNext),
            "first" => RenderState.Box(Index == 0),
            "last" => RenderState.Box(!HasNext),
            "parent" => parent,
            "topmost" => Topmost(),
            _ => null,
        };
        return value is not null || name == "parent";
    }

    public bool TryInvoke(string method, IReadOnlyList<object?> arguments, out object? result)
    {
        result = null;
        if (arguments.Count != 0)
        {
            return false;
        }

        return method switch
        {
            "getIndex" => TryGetProperty("index", out result),
            "getCount" => TryGetProperty("count", out result),
            "hasNext" or "getHasNext" or "isHasNext" => TryGetProperty("hasNext", out result),
            "isFirst" or "getFirst" => TryGetProperty("first", out result),
            "isLast" or "getLast" => TryGetProperty("last", out result),
            "getParent" => TryGetProperty("parent", out result),
            "getTopmost" => TryGetProperty("topmost", out result),
            _ => false,
        };
    }

    private ForeachScope Topmost()
    {
        var scope = this;
        while (scope.Parent is ForeachScope outer)
        {
            scope = outer;
        }

        return scope;
    }

    private object? Parent => parent;
}

/// <summary>
/// A <c>#define</c> block held in a variable: rendered in place where referenced, as a string elsewhere,
/// always with the variables of the render that uses it (a block kept in a caller's map holds no render state).
/// </summary>
internal sealed class DefinedBlock(Node[] body)
{
    /// <summary>Renders in place; #break ends the block, #stop ends the whole render.</summary>
    public Flow Render(RenderState current, Expr at)
    {
        current.Enter(at, "#define block");
        try
        {
            foreach (var node in body)
            {
                var flow = node.Render(current);
                if (flow != Flow.Normal)
                {
                    return flow == Flow.Stop ? Flow.Stop : Flow.Normal;
                }
            }

            return Flow.Normal;
        }
        finally
        {
            current.Leave();
        }
    }

    public string RenderToString(RenderState state) => state.RenderToString(body, Position);

    private static readonly ConstantExpr Position = new(null, 0, 0);
}

/// <summary>A Java Map.Entry, as <c>entrySet()</c> yields: prints <c>key=value</c>.</summary>
internal sealed record VtlEntry(string Key, object? Value);
