using System.Text.Json;

namespace Sluice.JsonSchema.Tests;

public sealed class ErrorReportingTests
{
    private const string OrderSchema = """
        {
          "definitions": {
            "address": {
              "type": "object",
              "properties": {
                "zip": { "type": "string", "pattern": "^[0-9]{5}$" },
                "city": { "type": "string", "minLength": 1 }
              },
              "required": ["zip", "city"]
            }
          },
          "type": "object",
          "properties": {
            "customer": {
              "type": "object",
              "properties": { "address": { "$ref": "#/definitions/address" } },
              "additionalProperties": false
            },
            "lines": {
              "type": "array",
              "items": {
                "type": "object",
                "properties": { "quantity": { "type": "integer", "minimum": 1 } }
              }
            }
          }
        }
        """;

    private static ValidationResult Validate(string schema, string instance, JsonSchemaOptions? options = null)
    {
        using JsonDocument document = JsonDocument.Parse(instance);
        return JsonSchema.Compile(schema, options).Validate(document.RootElement);
    }

    [Fact]
    public void Validate_PatternMismatchBehindRef_NamesInstancePointerKeywordAndDefinitionLocation()
    {
        ValidationResult result = Validate(OrderSchema, """{"customer": {"address": {"zip": "12a45", "city": "Lyon"}}}""");

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal("/customer/address/zip", error.InstanceLocation);
        Assert.Equal("pattern", error.Keyword);
        Assert.Equal("#/definitions/address/properties/zip/pattern", error.SchemaLocation);
        Assert.Contains("12a45", error.Message);
        Assert.Contains("^[0-9]{5}$", error.Message);
    }

    [Fact]
    public void Validate_ArrayItemBelowMinimum_NamesIndexInPointer()
    {
        ValidationResult result = Validate(OrderSchema, """{"lines": [{"quantity": 2}, {"quantity": 0}]}""");

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal("/lines/1/quantity", error.InstanceLocation);
        Assert.Equal("minimum", error.Keyword);
        Assert.Equal("#/properties/lines/items/properties/quantity/minimum", error.SchemaLocation);
        Assert.Contains("at least 1", error.Message);
    }

    [Fact]
    public void Validate_MissingRequiredProperty_ReportsObjectLocationAndPropertyName()
    {
        ValidationResult result = Validate(OrderSchema, """{"customer": {"address": {"zip": "12345"}}}""");

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal("/customer/address", error.InstanceLocation);
        Assert.Equal("required", error.Keyword);
        Assert.Equal("#/definitions/address/required", error.SchemaLocation);
        Assert.Contains("'city'", error.Message);
    }

    [Fact]
    public void Validate_UnexpectedProperty_ReportsAdditionalPropertiesWithName()
    {
        ValidationResult result = Validate(OrderSchema, """{"customer": {"nickname": "Bob"}}""");

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal("/customer", error.InstanceLocation);
        Assert.Equal("additionalProperties", error.Keyword);
        Assert.Equal("#/properties/customer/additionalProperties", error.SchemaLocation);
        Assert.Contains("'nickname'", error.Message);
    }

    [Fact]
    public void Validate_WrongType_MessageNamesExpectedAndFoundTypes()
    {
        ValidationResult result = Validate(OrderSchema, """{"lines": [{"quantity": 1.5}]}""");

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal("type", error.Keyword);
        Assert.Equal("Expected integer but found number.", error.Message);
    }

    [Fact]
    public void Validate_PropertyNameWithSlashAndTilde_IsEscapedInPointer()
    {
        ValidationResult result = Validate(
            """{"additionalProperties": {"type": "string"}}""",
            """{"a/b~c": 1}""");

        Assert.Equal("/a~1b~0c", Assert.Single(result.Errors).InstanceLocation);
    }

    [Fact]
    public void Validate_ManyErrors_CollectsAllInDocumentOrder()
    {
        ValidationResult result = Validate(OrderSchema, """{"lines": [{"quantity": 0}, {"quantity": "x"}, {"quantity": -1}]}""");

        Assert.Equal(["/lines/0/quantity", "/lines/1/quantity", "/lines/2/quantity"], result.Errors.Select(error => error.InstanceLocation));
        Assert.Equal(["minimum", "type", "minimum"], result.Errors.Select(error => error.Keyword));
    }

    [Fact]
    public void Validate_MaxErrorsReached_StopsCollecting()
    {
        ValidationResult result = Validate(OrderSchema, """{"lines": [{"quantity": 0}, {"quantity": 0}, {"quantity": 0}]}""",
            new JsonSchemaOptions { MaxErrors = 2 });

        Assert.Equal(2, result.Errors.Count);
    }

    [Fact]
    public void ValidateFirstError_SeveralErrors_ReturnsOnlyTheFirst()
    {
        CompiledSchema schema = JsonSchema.Compile(OrderSchema);
        using JsonDocument document = JsonDocument.Parse("""{"lines": [{"quantity": 0}, {"quantity": "x"}]}""");

        ValidationResult result = schema.ValidateFirstError(document.RootElement);

        Assert.Equal("/lines/0/quantity", Assert.Single(result.Errors).InstanceLocation);
        Assert.False(schema.IsValid(document.RootElement));
    }

    [Fact]
    public void Validate_ValidInstance_ReturnsSharedValidResultWithoutErrors()
    {
        ValidationResult result = Validate(OrderSchema, """{"customer": {"address": {"zip": "12345", "city": "Lyon"}}, "lines": [{"quantity": 3}]}""");

        Assert.True(result.IsValid);
        Assert.Empty(result.Errors);
        Assert.Same(ValidationResult.Valid, result);
    }

    [Fact]
    public void Validate_AnyOfWithNoMatch_ReportsOneErrorAtAnyOf()
    {
        ValidationResult result = Validate("""{"anyOf": [{"type": "string"}, {"type": "boolean"}]}""", "3");

        ValidationError error = Assert.Single(result.Errors);
        Assert.Equal("anyOf", error.Keyword);
        Assert.Equal("#/anyOf", error.SchemaLocation);
    }

    [Fact]
    public void Validate_SchemaWithAbsoluteId_SchemaLocationStartsWithId()
    {
        ValidationResult result = Validate("""{"id": "http://example.com/order.json", "type": "object"}""", "[]");

        Assert.Equal("http://example.com/order.json#/type", Assert.Single(result.Errors).SchemaLocation);
    }

    [Fact]
    public void Validate_FormatAssertionDisabled_AcceptsMalformedEmail()
    {
        const string schema = """{"format": "email"}""";

        Assert.False(Validate(schema, "\"not an email\"").IsValid);
        Assert.True(Validate(schema, "\"not an email\"", new JsonSchemaOptions { AssertFormats = false }).IsValid);
    }

    [Fact]
    public void Validate_InvalidFormat_NamesFormatInMessage()
    {
        ValidationError error = Assert.Single(Validate("""{"format": "ipv4"}""", "\"300.1.1.1\"").Errors);

        Assert.Equal("format", error.Keyword);
        Assert.Contains("ipv4", error.Message);
    }
}
