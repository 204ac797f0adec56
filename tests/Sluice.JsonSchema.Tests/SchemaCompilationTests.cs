namespace Sluice.JsonSchema.Tests;

public sealed class SchemaCompilationTests
{
    [Theory]
    [InlineData("""{"type": 5}""", "#/type", "type")]
    [InlineData("""{"type": "text"}""", "#/type", "type names")]
    [InlineData("""{"properties": {"name": {"minLength": -1}}}""", "#/properties/name/minLength", "non-negative integer")]
    [InlineData("""{"maxItems": 1.5}""", "#/maxItems", "non-negative integer")]
    [InlineData("""{"pattern": "[a-"}""", "#/pattern", "regular expression")]
    [InlineData("""{"patternProperties": {"(": {}}}""", "#/patternProperties", "regular expression")]
    [InlineData("""{"multipleOf": 0}""", "#/multipleOf", "greater than 0")]
    [InlineData("""{"exclusiveMaximum": true}""", "#/exclusiveMaximum", "requires maximum")]
    [InlineData("""{"required": "name"}""", "#/required", "array")]
    [InlineData("""{"enum": []}""", "#/enum", "non-empty")]
    [InlineData("""{"allOf": []}""", "#/allOf", "non-empty")]
    [InlineData("""{"items": [{"type": "string"}, 3]}""", "#/items/1", "JSON object")]
    [InlineData("""{"additionalProperties": "no"}""", "#/additionalProperties", "boolean or a schema")]
    [InlineData("""{"$ref": "#/definitions/missing"}""", "#/$ref", "does not exist")]
    [InlineData("""{"$ref": "http://example.com/elsewhere.json"}""", "#/$ref", "cannot be resolved")]
    [InlineData("""{"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"}""", "#/definitions/a/$ref", "cycle")]
    [InlineData("true", "#", "JSON object")]
    public void Compile_BadSchema_ThrowsJsonSchemaExceptionNamingLocation(string schema, string expectedLocation, string expectedProblem)
    {
        JsonSchemaException exception = Assert.Throws<JsonSchemaException>(() => JsonSchema.Compile(schema));

        Assert.Equal(expectedLocation, exception.SchemaLocation);
        Assert.Contains(expectedProblem, exception.Message);
        Assert.Contains(expectedLocation, exception.Message);
    }

    [Fact]
    public void Compile_TextThatIsNotJson_ThrowsJsonSchemaException()
    {
        JsonSchemaException exception = Assert.Throws<JsonSchemaException>(() => JsonSchema.Compile("{\"type\": "));

        Assert.Contains("not valid JSON", exception.Message);
    }

    [Fact]
    public void TryCompile_BadSchema_ReturnsFalseWithError()
    {
        bool compiled = JsonSchema.TryCompile("""{"minimum": "0"}""", null, out CompiledSchema? schema, out JsonSchemaException? error);

        Assert.False(compiled);
        Assert.Null(schema);
        Assert.Equal("#/minimum", error!.SchemaLocation);
    }

    [Fact]
    public void TryCompile_GoodSchema_ReturnsCompiledSchema()
    {
        bool compiled = JsonSchema.TryCompile("""{"type": "string"}""", null, out CompiledSchema? schema, out JsonSchemaException? error);

        Assert.True(compiled);
        Assert.Null(error);
        Assert.False(schema!.Validate("1").IsValid);
    }

    [Fact]
    public void Compile_SiblingsOfRefAreIgnored_NotValidated()
    {
        // Draft 4: keywords next to $ref are not part of the schema, even malformed ones.
        CompiledSchema schema = JsonSchema.Compile("""{"definitions": {"s": {"type": "string"}}, "properties": {"a": {"$ref": "#/definitions/s", "minLength": -1}}}""");

        Assert.False(schema.Validate("""{"a": 1}""").IsValid);
    }

    [Fact]
    public void Compile_RemoteRefRegisteredByUri_Resolves()
    {
        var registry = new JsonSchemaRegistry();
        registry.Register(new Uri("http://schemas.example.com/money.json"), """{"definitions": {"amount": {"type": "number", "multipleOf": 0.01}}}""");

        CompiledSchema schema = JsonSchema.Compile(
            """{"id": "http://schemas.example.com/order.json", "properties": {"total": {"$ref": "money.json#/definitions/amount"}}}""",
            new JsonSchemaOptions { Registry = registry });

        Assert.True(schema.Validate("""{"total": 19.99}""").IsValid);
        ValidationError error = Assert.Single(schema.Validate("""{"total": 19.999}""").Errors);
        Assert.Equal("http://schemas.example.com/money.json#/definitions/amount/multipleOf", error.SchemaLocation);
    }

    [Fact]
    public void Compile_RemoteRegisteredByOwnId_Resolves()
    {
        var registry = new JsonSchemaRegistry();
        using var document = System.Text.Json.JsonDocument.Parse("""{"id": "urn:example:positive", "type": "integer", "minimum": 1}""");
        Uri registered = registry.Register(document.RootElement);

        CompiledSchema schema = JsonSchema.Compile("""{"items": {"$ref": "urn:example:positive"}}""", new JsonSchemaOptions { Registry = registry });

        Assert.Equal("urn:example:positive", registered.ToString());
        Assert.True(schema.Validate("[1, 2]").IsValid);
        Assert.False(schema.Validate("[1, 0]").IsValid);
    }

    [Fact]
    public void Compile_RefToDraft04MetaSchema_ValidatesSchemas()
    {
        CompiledSchema metaSchema = JsonSchema.Compile("""{"$ref": "http://json-schema.org/draft-04/schema#"}""");

        Assert.True(metaSchema.Validate("""{"type": "object", "minLength": 1}""").IsValid);
        Assert.False(metaSchema.Validate("""{"type": "object", "minLength": -1}""").IsValid);
    }

    [Fact]
    public void Compile_RefWithEscapedPointer_ResolvesTildeSlashAndPercent()
    {
        CompiledSchema schema = JsonSchema.Compile("""
            {
              "definitions": {"a/b": {"type": "integer"}, "c~d": {"type": "string"}, "e%f": {"type": "boolean"}},
              "properties": {
                "x": {"$ref": "#/definitions/a~1b"},
                "y": {"$ref": "#/definitions/c~0d"},
                "z": {"$ref": "#/definitions/e%25f"}
              }
            }
            """);

        Assert.True(schema.Validate("""{"x": 1, "y": "s", "z": true}""").IsValid);
        Assert.Equal(3, schema.Validate("""{"x": "1", "y": 2, "z": null}""").Errors.Count);
    }
}
