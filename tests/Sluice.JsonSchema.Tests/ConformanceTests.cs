namespace Sluice.JsonSchema.Tests;

/// <summary>
/// Every case of the official draft-4 test suite, one theory case each (file / group / test):
/// tests/draft4/*.json as required, tests/draft4/optional/** (formats, bignum, ECMA 262 regex,
/// non-BMP regex, float overflow, zero-terminated floats, id) as optional. No optional case is
/// excluded: the library passes all of them, so there is no known-failures list.
/// </summary>
public sealed class ConformanceTests
{
    public static TheoryData<string> RequiredCases() =>
        new(TestSuite.Cases.Values.Where(suiteCase => !suiteCase.Optional).Select(suiteCase => suiteCase.Name));

    public static TheoryData<string> OptionalCases() =>
        new(TestSuite.Cases.Values.Where(suiteCase => suiteCase.Optional).Select(suiteCase => suiteCase.Name));

    [Theory]
    [MemberData(nameof(RequiredCases))]
    public void RequiredCase_Validate_MatchesSuite(string name) => AssertMatchesSuite(TestSuite.Cases[name]);

    [Theory]
    [MemberData(nameof(OptionalCases))]
    public void OptionalCase_Validate_MatchesSuite(string name) => AssertMatchesSuite(TestSuite.Cases[name]);

    [Fact]
    public void Suite_Draft4_HasRequiredAndOptionalCases()
    {
        Assert.True(TestSuite.Cases.Values.Count(suiteCase => !suiteCase.Optional) > 500);
        Assert.True(TestSuite.Cases.Values.Count(suiteCase => suiteCase.Optional) > 100);
    }

    private static void AssertMatchesSuite(SuiteCase suiteCase)
    {
        CompiledSchema schema = suiteCase.Group.Compiled;
        ValidationResult full = schema.Validate(suiteCase.Data);
        Assert.True(suiteCase.Valid == full.IsValid,
            $"Expected {(suiteCase.Valid ? "valid" : "invalid")}; got: {full}");
        Assert.Equal(suiteCase.Valid, schema.IsValid(suiteCase.Data));
        Assert.Equal(suiteCase.Valid, schema.ValidateFirstError(suiteCase.Data).IsValid);
        if (!suiteCase.Valid)
        {
            Assert.NotEmpty(full.Errors);
            Assert.All(full.Errors, error => Assert.False(string.IsNullOrWhiteSpace(error.Message)));
        }
    }
}
