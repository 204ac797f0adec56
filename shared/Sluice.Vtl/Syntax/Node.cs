using Sluice.Vtl.Runtime;

namespace Sluice.Vtl.Syntax;

/// <summary>What a statement tells its block after rendering: go on, leave the innermost scope (#break), or end the render (#stop).</summary>
internal enum Flow
{
    Normal,
    Break,
    Stop,
}

/// <summary>A statement of the template tree, built once at parse time and shared by every render.</summary>
internal abstract class Node(int line, int column)
{
    public int Line { get; } = line;
    public int Column { get; } = column;

    public abstract Flow Render(RenderState state);

    protected static Flow RenderBlock(Node[] nodes, RenderState state)
    {
        foreach (var node in nodes)
        {
            var flow = node.Render(state);
            if (flow != Flow.Normal)
            {
                return flow;
            }
        }

        return Flow.Normal;
    }
}

/// <summary>Literal template text ("schmoo" in Velocity's words), escapes already resolved.</summary>
internal sealed class TextNode(string text, int line, int column) : Node(line, column)
{
    public string Text { get; } = text;

    public override Flow Render(RenderState state)
    {
        state.Output.Write(Text);
        return Flow.Normal;
    }
}

/// <summary>A reference standing as a statement: renders its value, or its own text when it has none.</summary>
internal sealed class ReferenceStatement(ReferenceExpr reference) : Node(reference.Line, reference.Column)
{
    public ReferenceExpr Reference { get; } = reference;

    public override Flow Render(RenderState state)
    {
        state.Step(this);
        return Reference.RenderAsStatement(state);
    }
}
