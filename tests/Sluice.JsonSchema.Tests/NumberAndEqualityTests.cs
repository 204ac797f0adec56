namespace Sluice.JsonSchema.Tests;

public sealed class NumberAndEqualityTests
{
    [Theory]
    [InlineData("0.0001", "0.0003", true)]
    [InlineData("0.0001", "0.00015", false)]
    [InlineData("0.01", "19.99", true)]
    [InlineData("0.01", "19.999", false)]
    [InlineData("0.1", "0.3", true)]
    [InlineData("3", "1e400", false)]
    [InlineData("2", "1e400", true)]
    [InlineData("7", "123456789012345678901234567890123456789", false)]
    [InlineData("3", "123456789012345678901234567890123456789", true)]
    [InlineData("1.5", "-4.5", true)]
    public void Validate_MultipleOf_IsExactForDecimalsAndBigNumbers(string divisor, string value, bool valid)
    {
        CompiledSchema schema = JsonSchema.Compile($$"""{"multipleOf": {{divisor}}}""");

        Assert.Equal(valid, schema.Validate(value).IsValid);
    }

    [Theory]
    [InlineData("18446744073709551615", "18446744073709551616", false)]
    [InlineData("18446744073709551615", "18446744073709551615", true)]
    [InlineData("0.1", "0.1000000000000000000001", false)]
    [InlineData("1e400", "9e399", true)]
    public void Validate_MaximumBeyondDoublePrecision_ComparesExactly(string maximum, string value, bool valid)
    {
        CompiledSchema schema = JsonSchema.Compile($$"""{"maximum": {{maximum}}}""");

        Assert.Equal(valid, schema.Validate(value).IsValid);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("-12345678901234567890123", true)]
    [InlineData("1.0", false)]
    [InlineData("1e2", false)]
    public void Validate_TypeInteger_FollowsDraft4LiteralRule(string value, bool valid)
    {
        Assert.Equal(valid, JsonSchema.Compile("""{"type": "integer"}""").Validate(value).IsValid);
    }

    [Theory]
    [InlineData("1.0", true)]
    [InlineData("10e-1", true)]
    [InlineData("{\"b\": [1, {\"c\": null}], \"a\": \"x\"}", true)]
    [InlineData("{\"a\": \"x\", \"b\": [1, {\"c\": false}]}", false)]
    [InlineData("\"\\u0078\"", true)]
    public void Validate_Enum_UsesJsonEquality(string value, bool valid)
    {
        CompiledSchema schema = JsonSchema.Compile("""{"enum": [1, {"a": "x", "b": [1.0, {"c": null}]}, "x"]}""");

        Assert.Equal(valid, schema.Validate(value).IsValid);
    }

    [Theory]
    [InlineData("[1, 1.0]", false)]
    [InlineData("[{\"a\": 1, \"b\": 2}, {\"b\": 2, \"a\": 1}]", false)]
    [InlineData("[1, 2, 3]", true)]
    public void Validate_UniqueItems_UsesJsonEquality(string value, bool valid)
    {
        Assert.Equal(valid, JsonSchema.Compile("""{"uniqueItems": true}""").Validate(value).IsValid);
    }

    [Fact]
    public void Validate_UniqueItemsOnLongArray_FindsDuplicateThroughHashing()
    {
        string items = string.Join(',', Enumerable.Range(0, 500).Select(index => $"{{\"id\": {index}}}"));
        CompiledSchema schema = JsonSchema.Compile("""{"uniqueItems": true}""");

        Assert.True(schema.Validate($"[{items}]").IsValid);
        ValidationError error = Assert.Single(schema.Validate($"[{items}, {{\"id\": 250.0}}]").Errors);
        Assert.Contains("250 and 500", error.Message);
    }

    [Theory]
    [InlineData("\"\\ud83d\\udc32\\ud83d\\udc32\"", true)]
    [InlineData("\"🐲🐲\"", true)]
    [InlineData("\"🐲🐲🐲\"", false)]
    public void Validate_MaxLength_CountsCodePoints(string value, bool valid)
    {
        Assert.Equal(valid, JsonSchema.Compile("""{"maxLength": 2}""").Validate(value).IsValid);
    }

    [Theory]
    [InlineData("abc\n", false)]
    [InlineData("abc", true)]
    public void Validate_PatternDollar_DoesNotMatchBeforeTrailingNewline(string value, bool valid)
    {
        CompiledSchema schema = JsonSchema.Compile("""{"pattern": "^abc$"}""");

        Assert.Equal(valid, schema.Validate(System.Text.Json.JsonSerializer.Serialize(value)).IsValid);
    }
}
