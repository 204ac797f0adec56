using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.JsonSchema.Compilation;

namespace Sluice.JsonSchema;

/// <summary>
/// Entry point: compiles JSON Schema draft-4 schemas into <see cref="CompiledSchema"/>s. Compile
/// once, validate many times, from any number of threads.
/// </summary>
public static class JsonSchema
{
    /// <summary>Compiles a schema given as a JSON element (copied; the source document may be disposed).</summary>
    /// <exception cref="JsonSchemaException">The schema is not a valid draft-4 schema; the message names where.</exception>
    public static CompiledSchema Compile(JsonElement schema, JsonSchemaOptions? options = null)
    {
        options ??= JsonSchemaOptions.Default;
        options.EnsureValid();
        try
        {
            var compiler = new SchemaCompiler(options);
            return new CompiledSchema(compiler.CompileRoot(schema), options);
        }
        catch (Exception exception) when (exception is not JsonSchemaException and not OutOfMemoryException)
        {
            // Contract: a bad schema is always reported as a JsonSchemaException.
            throw new JsonSchemaException("#", $"the schema could not be compiled: {exception.Message}", exception);
        }
    }

    /// <summary>Compiles a schema given as JSON text.</summary>
    /// <exception cref="JsonSchemaException">The text is not JSON, or not a valid draft-4 schema.</exception>
    public static CompiledSchema Compile(string schemaJson, JsonSchemaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        using JsonDocument document = ParseSchemaText(schemaJson);
        return Compile(document.RootElement, options);
    }

    /// <summary>Compiles a schema, reporting a bad one through <paramref name="error"/> instead of throwing.</summary>
    public static bool TryCompile(
        JsonElement schema,
        JsonSchemaOptions? options,
        [NotNullWhen(true)] out CompiledSchema? compiled,
        [NotNullWhen(false)] out JsonSchemaException? error) =>
        TryCompileCore(() => Compile(schema, options), out compiled, out error);

    /// <summary>Compiles schema text, reporting a bad one through <paramref name="error"/> instead of throwing.</summary>
    public static bool TryCompile(
        string schemaJson,
        JsonSchemaOptions? options,
        [NotNullWhen(true)] out CompiledSchema? compiled,
        [NotNullWhen(false)] out JsonSchemaException? error) =>
        TryCompileCore(() => Compile(schemaJson, options), out compiled, out error);

    private static bool TryCompileCore(
        Func<CompiledSchema> compile,
        [NotNullWhen(true)] out CompiledSchema? compiled,
        [NotNullWhen(false)] out JsonSchemaException? error)
    {
        try
        {
            compiled = compile();
            error = null;
            return true;
        }
        catch (JsonSchemaException exception)
        {
            compiled = null;
            error = exception;
            return false;
        }
    }

    internal static JsonDocument ParseSchemaText(string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException exception)
        {
            throw new JsonSchemaException("#", $"the schema text is not valid JSON: {exception.Message}", exception);
        }
    }
}
