namespace Sluice.JsonSchema;

/// <summary>One reason an instance failed validation.</summary>
/// <param name="InstanceLocation">JSON Pointer (RFC 6901) of the failing value in the instance; empty for the root.</param>
/// <param name="Keyword">The schema keyword that failed (<c>type</c>, <c>required</c>, ...), or one of the limit keywords of this type.</param>
/// <param name="SchemaLocation">
/// Where the keyword sits: the schema's URI (empty for a schema without <c>id</c>) followed by
/// <c>#</c> and a JSON Pointer into that schema document, e.g. <c>#/properties/age/minimum</c>.
/// </param>
/// <param name="Message">A sentence for people, naming the expected and the found value.</param>
public sealed record ValidationError(string InstanceLocation, string Keyword, string SchemaLocation, string Message)
{
    /// <summary>Keyword of the error reported when the instance nests deeper than the configured limits.</summary>
    public const string DepthLimitKeyword = "$maxDepth";

    /// <summary>Keyword of the error reported when JSON text is larger than <see cref="JsonSchemaOptions.MaxDocumentBytes"/>.</summary>
    public const string SizeLimitKeyword = "$maxDocumentBytes";

    /// <summary>Keyword of the error reported when JSON text given to <c>Validate</c> is not well-formed JSON.</summary>
    public const string InvalidJsonKeyword = "$json";

    /// <inheritdoc />
    public override string ToString() =>
        $"{(InstanceLocation.Length == 0 ? "(root)" : InstanceLocation)}: {Message} [{Keyword} at {SchemaLocation}]";
}
