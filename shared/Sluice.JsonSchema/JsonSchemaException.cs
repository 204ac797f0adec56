namespace Sluice.JsonSchema;

/// <summary>
/// The schema given to <see cref="JsonSchema.Compile(System.Text.Json.JsonElement, JsonSchemaOptions?)"/>
/// is not a valid draft-4 schema (bad keyword value, invalid regular expression, unresolvable
/// <c>$ref</c>, ...). The message names the schema location.
/// </summary>
public sealed class JsonSchemaException : Exception
{
    /// <summary>Creates the exception for a problem at <paramref name="schemaLocation"/>.</summary>
    public JsonSchemaException(string schemaLocation, string problem, Exception? innerException = null)
        : base($"Invalid schema at '{schemaLocation}': {problem}", innerException)
    {
        SchemaLocation = schemaLocation;
        Problem = problem;
    }

    /// <summary>Where the problem is: schema URI (empty without <c>id</c>) + <c>#</c> + JSON Pointer.</summary>
    public string SchemaLocation { get; }

    /// <summary>What is wrong there, without the location.</summary>
    public string Problem { get; }
}
