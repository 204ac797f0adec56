using System.Text;
using System.Text.Json;

namespace Sluice.JsonSchema.Tests;

public sealed class LimitTests
{
    private const string RecursiveArraySchema = """{"type": "array", "items": {"$ref": "#"}}""";

    private static string NestedArrays(int depth) => new StringBuilder(depth * 2).Append('[', depth).Append(']', depth).ToString();

    [Fact]
    public void ValidateText_100000NestedArrays_FailsWithDepthLimitError()
    {
        CompiledSchema schema = JsonSchema.Compile(RecursiveArraySchema);

        ValidationResult result = schema.Validate(NestedArrays(100_000));

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal(ValidationError.DepthLimitKeyword, error.Keyword);
        Assert.Contains("maximum depth of 128", error.Message);
    }

    [Fact]
    public void ValidateElement_10000NestedArraysParsedWithoutLimit_FailsWithDepthLimitError()
    {
        // 10 000 rather than 100 000 levels: JsonDocument.Parse itself takes time quadratic in depth.
        CompiledSchema schema = JsonSchema.Compile(RecursiveArraySchema);
        using JsonDocument document = JsonDocument.Parse(NestedArrays(10_000), new JsonDocumentOptions { MaxDepth = 20_000 });

        ValidationResult result = schema.Validate(document.RootElement);

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal(ValidationError.DepthLimitKeyword, error.Keyword);
        Assert.StartsWith("/0/0/0", error.InstanceLocation);
        Assert.False(schema.IsValid(document.RootElement));
    }

    [Fact]
    public void ValidateElement_DeepInstanceUnderEnumAndUniqueItems_FailsWithDepthLimitError()
    {
        CompiledSchema schema = JsonSchema.Compile("""{"enum": [[[1]]], "uniqueItems": true}""");
        using JsonDocument document = JsonDocument.Parse("[" + NestedArrays(5_000) + "," + NestedArrays(5_000) + "]",
            new JsonDocumentOptions { MaxDepth = 10_000 });

        ValidationResult result = schema.Validate(document.RootElement);

        Assert.Contains(result.Errors, error => error.Keyword == ValidationError.DepthLimitKeyword);
    }

    [Fact]
    public void ValidateText_WithinDepthLimit_ValidatesNormally()
    {
        CompiledSchema schema = JsonSchema.Compile(RecursiveArraySchema);

        Assert.True(schema.Validate(NestedArrays(100)).IsValid);
    }

    [Fact]
    public void Validate_SchemaReferringToItselfInPlace_FailsWithDepthLimitInsteadOfLooping()
    {
        CompiledSchema schema = JsonSchema.Compile("""{"allOf": [{"$ref": "#"}]}""");

        ValidationResult result = schema.Validate("{}");

        Assert.Equal(ValidationError.DepthLimitKeyword, Assert.Single(result.Errors).Keyword);
    }

    [Fact]
    public void Validate_NotOverInfiniteRecursion_StillFails()
    {
        // The limit rejects the instance; it must not be negated into a pass by "not".
        CompiledSchema schema = JsonSchema.Compile("""{"definitions": {"loop": {"allOf": [{"$ref": "#/definitions/loop"}]}}, "not": {"$ref": "#/definitions/loop"}}""");

        Assert.False(schema.Validate("1").IsValid);
        Assert.False(schema.IsValid(JsonDocument.Parse("1").RootElement));
    }

    [Fact]
    public void ValidateText_LargerThanMaxDocumentBytes_FailsWithSizeLimitError()
    {
        CompiledSchema schema = JsonSchema.Compile("{}", new JsonSchemaOptions { MaxDocumentBytes = 1024 });
        string large = "[" + string.Join(',', Enumerable.Repeat("\"abcdefgh\"", 200)) + "]";

        ValidationResult result = schema.Validate(large);

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal(ValidationError.SizeLimitKeyword, error.Keyword);
        Assert.Contains("at most 1024", error.Message);
        Assert.False(schema.Validate(Encoding.UTF8.GetBytes(large)).IsValid);
    }

    [Fact]
    public void ValidateText_Malformed_FailsWithInvalidJsonError()
    {
        CompiledSchema schema = JsonSchema.Compile("{}");

        ValidationResult result = schema.Validate("{\"a\": ");

        Assert.Equal(ValidationError.InvalidJsonKeyword, Assert.Single(result.Errors).Keyword);
    }

    [Fact]
    public void Options_NonPositiveLimit_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => JsonSchema.Compile("{}", new JsonSchemaOptions { MaxDepth = 0 }));
    }
}
