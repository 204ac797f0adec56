namespace Sluice.JsonSchema;

/// <summary>
/// Settings for compiling a schema and validating instances against it. An instance is read-only
/// once passed to <see cref="JsonSchema.Compile(System.Text.Json.JsonElement, JsonSchemaOptions?)"/>:
/// the compiled schema copies what it needs.
/// </summary>
public sealed record JsonSchemaOptions
{
    /// <summary>The options used when none are given.</summary>
    public static JsonSchemaOptions Default { get; } = new();

    /// <summary>
    /// Deepest instance nesting (objects and arrays) that validation descends into. Deeper instances
    /// fail validation with a <see cref="ValidationError.DepthLimitKeyword"/> error instead of
    /// exhausting the stack. Also the parser depth limit when validating JSON text. Defaults to 128.
    /// </summary>
    public int MaxDepth { get; init; } = 128;

    /// <summary>
    /// Deepest chain of schemas applied to one instance location through <c>$ref</c>, <c>allOf</c>,
    /// <c>anyOf</c>, <c>oneOf</c> and <c>not</c> before validation gives up with a
    /// <see cref="ValidationError.DepthLimitKeyword"/> error. Guards against schemas that refer to
    /// themselves without consuming the instance (<c>{"allOf": [{"$ref": "#"}]}</c>). Counted per instance location. Defaults to 256.
    /// </summary>
    public int MaxEvaluationDepth { get; init; } = 256;

    /// <summary>
    /// Largest JSON text, in UTF-8 bytes, that the text overloads of <c>Validate</c> accept; larger
    /// documents fail with a <see cref="ValidationError.SizeLimitKeyword"/> error without being
    /// parsed. Defaults to 16 MiB.
    /// </summary>
    public int MaxDocumentBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Most errors collected by <see cref="CompiledSchema.Validate(System.Text.Json.JsonElement)"/>;
    /// validation stops once this many are found. Defaults to 100.
    /// </summary>
    public int MaxErrors { get; init; } = 100;

    /// <summary>
    /// Whether <c>format</c> is asserted for the formats this library knows (date-time, email,
    /// hostname, ipv4, ipv6, uri). Unknown formats are always ignored, as draft 4 requires.
    /// Defaults to <see langword="true"/>.
    /// </summary>
    public bool AssertFormats { get; init; } = true;

    /// <summary>
    /// Longest time one <c>pattern</c> or <c>patternProperties</c> match may take before the
    /// instance is rejected with a pattern error saying so. Defaults to 1 second.
    /// </summary>
    public TimeSpan RegexMatchTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Schemas that <c>$ref</c> may point to by URI, besides the schema being compiled and the
    /// draft-04 meta-schema (always available). Defaults to none.
    /// </summary>
    public JsonSchemaRegistry? Registry { get; init; }

    /// <summary>
    /// Base URI of a schema that has no <c>id</c>; relative <c>$ref</c>s resolve against it.
    /// Defaults to a private URI unique to each compilation.
    /// </summary>
    public Uri? BaseUri { get; init; }

    internal void EnsureValid()
    {
        if (MaxDepth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDepth), MaxDepth, "MaxDepth must be at least 1.");
        }

        if (MaxEvaluationDepth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxEvaluationDepth), MaxEvaluationDepth, "MaxEvaluationDepth must be at least 1.");
        }

        if (MaxDocumentBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDocumentBytes), MaxDocumentBytes, "MaxDocumentBytes must be at least 1.");
        }

        if (MaxErrors < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxErrors), MaxErrors, "MaxErrors must be at least 1.");
        }

        if (BaseUri is { IsAbsoluteUri: false })
        {
            throw new ArgumentException("BaseUri must be an absolute URI.", nameof(BaseUri));
        }
    }
}
