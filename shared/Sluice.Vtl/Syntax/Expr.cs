using Sluice.Vtl.Runtime;

namespace Sluice.Vtl.Syntax;

/// <summary>An expression: a directive argument, a method argument or a #set/#if operand.</summary>
internal abstract class Expr(int line, int column)
{
    public int Line { get; } = line;
    public int Column { get; } = column;

    /// <summary>The source text, used where Velocity prints a null operand as written.</summary>
    public string Literal { get; init; } = "";

    public abstract object? Evaluate(RenderState state);

    /// <summary>Truth as Velocity's node evaluate(): references test their value; literals other than true are false.</summary>
    public virtual bool IsTrue(RenderState state) => false;
}

internal sealed class ConstantExpr(object? value, int line, int column) : Expr(line, column)
{
    public object? Value { get; } = value;

    public override object? Evaluate(RenderState state) => Value;

    public override bool IsTrue(RenderState state) => Value is true;
}

/// <summary>A double-quoted string holding $ or #: a small template rendered on each evaluation.</summary>
internal sealed class InterpolatedStringExpr(Node[] body, bool padded, int line, int column) : Expr(line, column)
{
    public override object? Evaluate(RenderState state)
    {
        var text = state.RenderToString(body, this);
        // Velocity parses the image plus one space (so a trailing reference ends cleanly) and drops it again.
        return padded && text.Length > 0 ? text[..^1] : text;
    }
}

internal sealed class ListExpr(Expr[] items, int line, int column) : Expr(line, column)
{
    public override object? Evaluate(RenderState state)
    {
        var list = new List<object?>(items.Length);
        foreach (var item in items)
        {
            list.Add(item.Evaluate(state));
        }

        return list;
    }
}

internal sealed class MapExpr(Expr[] keys, Expr[] values, int line, int column) : Expr(line, column)
{
    public override object? Evaluate(RenderState state)
    {
        var map = new OrderedDictionary<string, object?>(keys.Length);
        for (var i = 0; i < keys.Length; i++)
        {
            map[JavaValues.ToJavaString(keys[i].Evaluate(state), state) ?? "null"] = values[i].Evaluate(state);
        }

        return map;
    }
}

internal sealed class RangeExpr(Expr from, Expr to, int line, int column) : Expr(line, column)
{
    public override object? Evaluate(RenderState state)
    {
        var left = from.Evaluate(state);
        var right = to.Evaluate(state);
        if (!JavaMath.IsNumber(left) || !JavaMath.IsNumber(right))
        {
            return null;
        }

        var l = JavaMath.IntValue(left!);
        var r = JavaMath.IntValue(right!);
        var count = Math.Abs((long)l - r) + 1;
        state.CheckCollectionSize(count, this);
        var list = new List<object?>((int)count);
        var delta = l >= r ? -1 : 1;
        var value = l;
        for (long i = 0; i < count; i++)
        {
            list.Add(value);
            value += delta;
        }

        return list;
    }
}

internal sealed class NotExpr(Expr operand, int line, int column) : Expr(line, column)
{
    public override object? Evaluate(RenderState state) => !operand.IsTrue(state);

    public override bool IsTrue(RenderState state) => !operand.IsTrue(state);
}

internal sealed class AndExpr(Expr left, Expr right, int line, int column) : Expr(line, column)
{
    public override object? Evaluate(RenderState state) => IsTrue(state);

    public override bool IsTrue(RenderState state) => left.IsTrue(state) && right.IsTrue(state);
}

internal sealed class OrExpr(Expr left, Expr right, int line, int column) : Expr(line, column)
{
    public override object? Evaluate(RenderState state) => IsTrue(state);

    public override bool IsTrue(RenderState state) => left.IsTrue(state) || right.IsTrue(state);
}

/// <summary>A parenthesised expression: Velocity keeps it as a node that forwards both value and truth.</summary>
internal sealed class GroupExpr(Expr inner, int line, int column) : Expr(line, column)
{
    public override object? Evaluate(RenderState state) => inner.Evaluate(state);

    public override bool IsTrue(RenderState state) => inner.IsTrue(state);
}

internal enum CompareOp
{
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

internal sealed class CompareExpr(CompareOp op, Expr left, Expr right, int line, int column) : Expr(line, column)
{
    public override object? Evaluate(RenderState state) => IsTrue(state);

    public override bool IsTrue(RenderState state)
    {
        var l = left.Evaluate(state);
        var r = right.Evaluate(state);
        switch (op)
        {
            case CompareOp.Eq:
                return JavaValues.VelocityEquals(l, r, state);
            case CompareOp.Ne:
                return !JavaValues.VelocityEquals(l, r, state);
        }

        if (!JavaMath.IsNumber(l) || !JavaMath.IsNumber(r))
        {
            return false;
        }

        var c = JavaMath.Compare(l!, r!);
        return op switch
        {
            CompareOp.Lt => c < 0,
            CompareOp.Le => c <= 0,
            CompareOp.Gt => c > 0,
            _ => c >= 0,
        };
    }
}

internal enum MathOp
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

internal sealed class MathExpr(MathOp op, Expr left, Expr right, int line, int column) : Expr(line, column)
{
    public override object? Evaluate(RenderState state)
    {
        var l = left.Evaluate(state);
        var r = right.Evaluate(state);
        if (op == MathOp.Add && (l is string || r is string))
        {
            // Velocity concatenates, printing a null side as its source text.
            var s = (JavaValues.ToJavaString(l, state) ?? left.Literal) + (JavaValues.ToJavaString(r, state) ?? right.Literal);
            state.CheckStringLength(s.Length, this);
            return s;
        }

        if (!JavaMath.IsNumber(l) || !JavaMath.IsNumber(r))
        {
            return null;
        }

        try
        {
            return op switch
            {
                MathOp.Add => JavaMath.Add(l!, r!),
                MathOp.Subtract => JavaMath.Subtract(l!, r!),
                MathOp.Multiply => JavaMath.Multiply(l!, r!),
                MathOp.Divide => JavaMath.IsZero(r!) ? null : JavaMath.Divide(l!, r!),
                _ => JavaMath.IsZero(r!) ? null : JavaMath.Modulo(l!, r!),
            };
        }
        catch (ArithmeticException e)
        {
            throw new VtlRenderException("Arithmetic failed: " + e.Message, state.TemplateName, Line, Column, e);
        }
    }
}
