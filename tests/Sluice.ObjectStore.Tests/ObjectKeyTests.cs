namespace Sluice.ObjectStore.Tests;

public sealed class ObjectKeyTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("raw/orders/ingest_date=2026-11-21/0f8fad5b-d9cb-469f-a165-70867728950e/part-00000.ndjson")]
    [InlineData("...")]
    [InlineData("raw/..hidden/.x")]
    [InlineData("a b/c:d/e+f=g&h%20")]
    [InlineData("emoji/\U0001F600.json")]
    public void IsValid_WellFormedKey_ReturnsTrue(string key)
    {
        Assert.True(ObjectKey.IsValid(key));
        ObjectKey.Validate(key);
    }

    public static TheoryData<string> InvalidCases => new(InvalidKeys.Cases.Keys);

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void Validate_InvalidKey_ThrowsNamingTheProblem(string caseName)
    {
        (string key, ObjectKeyProblem problem) = InvalidKeys.Cases[caseName];

        var error = Assert.Throws<InvalidObjectKeyException>(() => ObjectKey.Validate(key));

        Assert.Equal(problem, error.Problem);
        Assert.Equal(key, error.Key);
        Assert.False(ObjectKey.IsValid(key));
    }

    [Theory]
    [InlineData("raw/../x", "'..' segment")]
    [InlineData("raw/./x", "'.' segment")]
    [InlineData("/raw/x", "starts with '/'")]
    [InlineData("raw//x", "empty segment")]
    [InlineData("raw/x/", "ends with '/'")]
    [InlineData("raw\\x", "backslash")]
    [InlineData("raw/\0x", "U+0000")]
    [InlineData("", "empty")]
    public void Validate_InvalidKey_MessageSaysWhatIsWrong(string key, string expectedFragment)
    {
        var error = Assert.Throws<InvalidObjectKeyException>(() => ObjectKey.Validate(key));

        Assert.Contains(expectedFragment, error.Message);
    }

    [Fact]
    public void Validate_ControlCharacter_MessageShowsItEscaped()
    {
        var error = Assert.Throws<InvalidObjectKeyException>(() => ObjectKey.Validate("raw/a\nb"));

        Assert.Contains("'raw/a\\u000Ab'", error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }

    [Fact]
    public void Validate_VeryLongKey_MessageIsShortened()
    {
        var error = Assert.Throws<InvalidObjectKeyException>(() => ObjectKey.Validate(InvalidKeys.LongKey(5000, "a")));

        Assert.Contains("5000 bytes", error.Message);
        Assert.True(error.Message.Length < 400, error.Message);
    }

    [Fact]
    public void Validate_LengthLimit_CountsUtf8BytesNotCharacters()
    {
        Assert.True(ObjectKey.IsValid(InvalidKeys.LongKey(1024, "€")));
        Assert.False(ObjectKey.IsValid(InvalidKeys.LongKey(1025, "€")));
        Assert.True(ObjectKey.IsValid(InvalidKeys.LongKey(1024, "a")));
        Assert.False(ObjectKey.IsValid(InvalidKeys.LongKey(1025, "a")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("raw/")]
    [InlineData("raw/ord")]
    [InlineData("raw/..")]
    [InlineData("raw/.")]
    [InlineData(".")]
    public void Check_ValidPrefix_IsAccepted(string prefix)
    {
        Assert.Null(ObjectKey.Check(prefix, isPrefix: true, ObjectKey.MaxUtf8Bytes));
    }

    [Fact]
    public void Validate_NullKey_ThrowsArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => ObjectKey.Validate(null!));
    }
}
