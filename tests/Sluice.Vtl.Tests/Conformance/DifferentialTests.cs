namespace Sluice.Vtl.Tests.Conformance;

/// <summary>
/// Every corpus case rendered by Sluice.Vtl and by Apache Velocity 1.7 must give the same bytes, or both fail.
/// </summary>
public sealed class DifferentialTests
{
    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in VtlCorpus.Cases)
        {
            data.Add(c.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Render_CorpusCase_MatchesVelocity17(string name)
    {
        var c = VtlCorpus.Get(name);
        var expected = VelocityReference.Results[name];
        string? actual = null;
        VtlException? error = null;
        try
        {
            actual = VtlTemplate.Parse(c.Template, name).Render(VtlCorpus.Variables(c.InputJson));
        }
        catch (VtlException e)
        {
            error = e;
        }

        if (expected.Error is not null)
        {
            Assert.True(error is not null, $"Velocity failed ({expected.Error}) but Sluice.Vtl rendered: [{actual}]");
            return;
        }

        Assert.True(error is null, $"Velocity rendered [{expected.Output}] but Sluice.Vtl failed: {error?.Message}");
        Assert.Equal(expected.Output, actual);
    }

    [Fact]
    public void Corpus_HasBroadCoverage()
    {
        Assert.True(VtlCorpus.Cases.Count >= 150, $"only {VtlCorpus.Cases.Count} cases");
        Assert.Equal(VtlCorpus.Cases.Count, VelocityReference.Results.Count);
        // The corpus must exercise failures as well as output.
        Assert.Contains(VelocityReference.Results.Values, r => r.Error is not null);
    }
}
