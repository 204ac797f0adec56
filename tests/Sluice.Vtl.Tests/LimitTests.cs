namespace Sluice.Vtl.Tests;

/// <summary>A template can neither loop forever nor allocate without bound: each limit stops it with a clear error.</summary>
public sealed class LimitTests
{
    private static readonly Dictionary<string, object?> NoVariables = [];

    [Fact]
    public void Render_HugeRange_ThrowsCollectionLimit()
    {
        var template = VtlTemplate.Parse("#foreach($i in [1..2000000000])$i#end", "huge-range");

        var e = Assert.Throws<VtlLimitExceededException>(() => template.Render(NoVariables));

        Assert.Equal(nameof(VtlLimits.MaxCollectionSize), e.Limit);
        Assert.Contains("MaxCollectionSize", e.Message);
        Assert.Equal(1, e.Line);
        Assert.Equal("huge-range", e.TemplateName);
    }

    [Fact]
    public void Render_NestedLoops_ThrowsIterationLimit()
    {
        var template = VtlTemplate.Parse(
            "#foreach($a in [1..1000])\n#foreach($b in [1..1000])\n#foreach($c in [1..1000])x#end\n#end\n#end");

        var e = Assert.Throws<VtlLimitExceededException>(() => template.Render(NoVariables, VtlLimits.Default with { MaxOutputChars = int.MaxValue }));

        Assert.Equal(nameof(VtlLimits.MaxIterations), e.Limit);
        Assert.Contains("iterations", e.Message);
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void Render_LoopGrowingItsOwnList_FailsInsteadOfRunningForever()
    {
        // The list grows while it is walked; as Java's iterator, the loop fails rather than chasing its tail.
        var template = VtlTemplate.Parse("#set($l = [1, 2])#foreach($x in $l)#set($ok = $l.add($x))#end");

        var e = Assert.Throws<VtlRenderException>(() => template.Render(NoVariables));

        Assert.Contains("changed while iterating", e.Message);
    }

    [Fact]
    public void Render_ListGrowingByRepeatedAdds_StopsAtCollectionLimit()
    {
        var template = VtlTemplate.Parse("#set($l = [])#foreach($i in [1..1000])#foreach($j in [1..100])#set($ok = $l.add($j))#end#end");

        var e = Assert.Throws<VtlLimitExceededException>(() => template.Render(NoVariables, new VtlLimits { MaxCollectionSize = 5000 }));

        Assert.Equal(nameof(VtlLimits.MaxCollectionSize), e.Limit);
    }

    [Fact]
    public void Render_HugeOutput_ThrowsOutputLimit()
    {
        var template = VtlTemplate.Parse("#foreach($i in [1..50000])0123456789#end");

        var e = Assert.Throws<VtlLimitExceededException>(() => template.Render(NoVariables, new VtlLimits { MaxOutputChars = 100_000 }));

        Assert.Equal(nameof(VtlLimits.MaxOutputChars), e.Limit);
        Assert.Contains("100000 characters", e.Message);
    }

    [Fact]
    public void Render_HugeOutputToWriter_StopsWritingAtTheLimit()
    {
        var template = VtlTemplate.Parse("#foreach($i in [1..50000])0123456789#end");
        var writer = new StringWriter();

        Assert.Throws<VtlLimitExceededException>(() => template.Render(writer, NoVariables, new VtlLimits { MaxOutputChars = 1000 }));

        Assert.True(writer.ToString().Length <= 1000, $"wrote {writer.ToString().Length} chars");
    }

    [Fact]
    public void Render_StringDoubling_ThrowsStringLengthLimit()
    {
        var template = VtlTemplate.Parse("#set($s = \"ab\")#foreach($i in [1..40])#set($s = \"$s$s\")#end$s.length()");

        var e = Assert.Throws<VtlLimitExceededException>(() => template.Render(NoVariables));

        Assert.Equal(nameof(VtlLimits.MaxStringLength), e.Limit);
    }

    [Fact]
    public void Render_StringReplaceBlowUp_ThrowsStringLengthLimit()
    {
        var template = VtlTemplate.Parse("#set($s = \"aaaa\")#foreach($i in [1..30])#set($s = $s.replace(\"a\", \"aa\"))#end");

        var e = Assert.Throws<VtlLimitExceededException>(() => template.Render(NoVariables));

        Assert.Equal(nameof(VtlLimits.MaxStringLength), e.Limit);
    }

    [Fact]
    public void Render_InfiniteMacroRecursion_ThrowsDepthLimit()
    {
        var template = VtlTemplate.Parse("#macro(down $n)#down($n)#end\n#down(1)", "recursion");

        var e = Assert.Throws<VtlLimitExceededException>(() => template.Render(NoVariables));

        Assert.Equal(nameof(VtlLimits.MaxDepth), e.Limit);
        Assert.Contains("macro #down", e.Message);
    }

    [Fact]
    public void Render_SelfReferencingDefine_ThrowsDepthLimit()
    {
        var template = VtlTemplate.Parse("#define($b)x$b#end$b");

        var e = Assert.Throws<VtlLimitExceededException>(() => template.Render(NoVariables));

        Assert.Equal(nameof(VtlLimits.MaxDepth), e.Limit);
    }

    [Fact]
    public void Render_EvaluateOfItself_ThrowsDepthLimit()
    {
        var template = VtlTemplate.Parse("#set($t = '#evaluate($t)')#evaluate($t)");

        var e = Assert.Throws<VtlLimitExceededException>(() => template.Render(NoVariables));

        Assert.Equal(nameof(VtlLimits.MaxDepth), e.Limit);
    }

    [Fact]
    public void Render_ManySteps_ThrowsStepLimit()
    {
        var template = VtlTemplate.Parse("#foreach($i in [1..1000])#set($a = $i)#set($b = $a)#end");

        var e = Assert.Throws<VtlLimitExceededException>(() => template.Render(NoVariables, new VtlLimits { MaxSteps = 500 }));

        Assert.Equal(nameof(VtlLimits.MaxSteps), e.Limit);
    }

    [Fact]
    public void Render_CatastrophicRegex_ThrowsInsteadOfHanging()
    {
        var template = VtlTemplate.Parse("$s.matches(\"(a+)+b\")");
        var variables = new Dictionary<string, object?> { ["s"] = new string('a', 5000) + "c" };

        var e = Assert.ThrowsAny<VtlException>(() => template.Render(variables));

        Assert.Contains("regular expression", e.Message);
    }

    [Fact]
    public void Render_WithinLimits_Renders()
    {
        var template = VtlTemplate.Parse("#foreach($i in [1..3])$i#end");

        Assert.Equal("123", template.Render(NoVariables, new VtlLimits { MaxIterations = 3, MaxOutputChars = 3 }));
    }
}

public sealed class NestingTests
{
    [Fact]
    public void Parse_DeeplyNestedIfs_IsAParseErrorNotACrash()
    {
        var source = string.Concat(Enumerable.Repeat("#if(true)", 5000)) + "x" + string.Concat(Enumerable.Repeat("#end", 5000));

        var e = Assert.Throws<VtlParseException>(() => VtlTemplate.Parse(source));

        Assert.Contains("deeper than", e.Message);
    }

    [Fact]
    public void Parse_DeeplyNestedParentheses_IsAParseErrorNotACrash()
    {
        var source = "#set($a = " + new string('(', 5000) + "1" + new string(')', 5000) + ")";

        Assert.Throws<VtlParseException>(() => VtlTemplate.Parse(source));
    }

    [Fact]
    public void Parse_NestingWithinTheLimit_Renders()
    {
        var source = string.Concat(Enumerable.Repeat("#if(true)", 50)) + "x" + string.Concat(Enumerable.Repeat("#end", 50));

        Assert.Equal("x", VtlTemplate.Parse(source).Render(new Dictionary<string, object?>()));
    }

    [Fact]
    public void Render_ListsContainingEachOther_CompareWithAnErrorNotACrash()
    {
        var template = VtlTemplate.Parse("#set($a = [])#set($b = [])#set($x = $a.add($b))#set($x = $b.add($a))#if($a == $b)same#end");

        var e = Assert.ThrowsAny<VtlException>(() => template.Render(new Dictionary<string, object?>()));

        Assert.Contains("nested", e.Message);
    }

    [Fact]
    public void Render_ListContainingItself_PrintsLikeJava()
    {
        var template = VtlTemplate.Parse("#set($a = [1])#set($x = $a.add($a))$a");

        Assert.Equal("[1, (this Collection)]", template.Render(new Dictionary<string, object?>()));
    }
}

public sealed class LimitValidationTests
{
    [Fact]
    public void Render_NonPositiveLimit_IsRejected()
    {
        var template = VtlTemplate.Parse("x");

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => template.Render(new Dictionary<string, object?>(), new VtlLimits { MaxOutputChars = 0 }));

        Assert.Equal("limits", e.ParamName);
    }

    [Fact]
    public void Default_HasProductionBounds()
    {
        var limits = VtlLimits.Default;

        Assert.Equal(4 * 1024 * 1024, limits.MaxOutputChars);
        Assert.Equal(100_000, limits.MaxIterations);
        Assert.Equal(64, limits.MaxDepth);
    }
}
