namespace Sluice.Vtl.Tests;

/// <summary>Bad templates and failing calls give errors that name the problem and where it is.</summary>
public sealed class ErrorTests
{
    [Theory]
    [InlineData("line one\n#if($x\nmore", 3, "#if")]
    [InlineData("#set($a 1)", 1, "'='")]
    [InlineData("ok\nok\n  #foreach($i in [1, 2])\nx", 3, "#foreach is not closed by #end")]
    [InlineData("text #end", 1, "#end")]
    [InlineData("a\n#else", 2, "#else")]
    [InlineData("${name", 1, "}")]
    [InlineData("#set($s = \"abc)", 1, "string literal is not closed")]
    [InlineData("$s.substring($i + 1)", 1, "closing ')'")]
    [InlineData("#macro()#end", 1, "#macro")]
    public void Parse_BadTemplate_ReportsLineAndReason(string source, int line, string reason)
    {
        var e = Assert.Throws<VtlParseException>(() => VtlTemplate.Parse(source, "bad.vtl"));

        Assert.Equal(line, e.Line);
        Assert.True(e.Column > 0);
        Assert.Equal("bad.vtl", e.TemplateName);
        Assert.Contains(reason, e.Message);
        Assert.Contains($"line {line}", e.Message);
    }

    [Fact]
    public void Parse_ColumnPointsAtTheProblem()
    {
        var e = Assert.Throws<VtlParseException>(() => VtlTemplate.Parse("abc #set($x = )"));

        Assert.Equal(1, e.Line);
        Assert.Equal(15, e.Column);
    }

    [Fact]
    public void Render_IndexOutOfRange_ThrowsRenderErrorWithPosition()
    {
        var template = VtlTemplate.Parse("first\n  $list.get(5)", "idx");
        var variables = new Dictionary<string, object?> { ["list"] = new List<object?> { 1 } };

        var e = Assert.Throws<VtlRenderException>(() => template.Render(variables));

        Assert.Equal(2, e.Line);
        Assert.Contains("out of bounds", e.Message);
    }

    [Fact]
    public void Render_HostMethodThrows_WrapsWithMethodName()
    {
        var template = VtlTemplate.Parse("$util.fail('x')");
        var variables = new Dictionary<string, object?> { ["util"] = new ThrowingHost() };

        var e = Assert.Throws<VtlRenderException>(() => template.Render(variables));

        Assert.Contains("'fail'", e.Message);
        Assert.IsType<FormatException>(e.InnerException);
    }

    [Fact]
    public void Render_ReadOnlyInput_ChangeIsAnError()
    {
        var template = VtlTemplate.Parse("$arr.add(1)");
        var variables = new Dictionary<string, object?> { ["arr"] = new object?[] { 1, 2 } };

        var e = Assert.Throws<VtlRenderException>(() => template.Render(variables));

        Assert.Contains("read-only", e.Message);
    }

    [Fact]
    public void Render_Include_IsRefusedClearly()
    {
        var e = Assert.Throws<VtlRenderException>(() => VtlTemplate.Parse("#parse('other.vm')").Render(new Dictionary<string, object?>()));

        Assert.Contains("#parse is not supported", e.Message);
    }

    private sealed class ThrowingHost : IVtlObject
    {
        public bool TryGetProperty(string name, out object? value)
        {
            value = null;
            return false;
        }

        public bool TryInvoke(string method, IReadOnlyList<object?> arguments, out object? result) =>
            throw new FormatException("bad input");
    }
}
