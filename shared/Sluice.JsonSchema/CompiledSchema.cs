using System.Text;
using System.Text.Json;
using Sluice.JsonSchema.Validation;

namespace Sluice.JsonSchema;

/// <summary>
/// A schema compiled for validation. Immutable: one instance may validate concurrently from any
/// number of threads. Create with <see cref="JsonSchema.Compile(JsonElement, JsonSchemaOptions?)"/>.
/// </summary>
public sealed class CompiledSchema
{
    [ThreadStatic]
    private static ValidationContext? t_pooledContext;

    private readonly SchemaNode _root;

    internal CompiledSchema(SchemaNode root, JsonSchemaOptions options)
    {
        _root = root;
        Options = options;
    }

    /// <summary>The options the schema was compiled with; they also govern validation limits.</summary>
    public JsonSchemaOptions Options { get; }

    /// <summary>Fast path: whether the instance is valid, stopping at the first failure and building no messages.</summary>
    public bool IsValid(JsonElement instance) => Run(instance, maxErrors: 0).IsValid;

    /// <summary>Validates and collects up to <see cref="JsonSchemaOptions.MaxErrors"/> errors.</summary>
    public ValidationResult Validate(JsonElement instance) => Run(instance, Options.MaxErrors);

    /// <summary>Validates and stops at the first error, which it reports.</summary>
    public ValidationResult ValidateFirstError(JsonElement instance) => Run(instance, maxErrors: 1);

    /// <summary>
    /// Parses and validates JSON text. Text over <see cref="JsonSchemaOptions.MaxDocumentBytes"/>,
    /// nested deeper than <see cref="JsonSchemaOptions.MaxDepth"/>, or not well-formed fails with
    /// one error whose keyword says which (<see cref="ValidationError.SizeLimitKeyword"/>,
    /// <see cref="ValidationError.DepthLimitKeyword"/>, <see cref="ValidationError.InvalidJsonKeyword"/>).
    /// </summary>
    public ValidationResult Validate(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        // A char is at most 3 UTF-8 bytes: count exactly only when the cheap bound is not enough.
        if ((long)json.Length * 3 > Options.MaxDocumentBytes && Encoding.UTF8.GetByteCount(json) > Options.MaxDocumentBytes)
        {
            return TooLarge(Encoding.UTF8.GetByteCount(json));
        }

        return ParseAndValidate(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>
    /// Parses (without copying) and validates UTF-8 JSON text, e.g. a request body; limits as for
    /// <see cref="Validate(string)"/>.
    /// </summary>
    public ValidationResult Validate(ReadOnlyMemory<byte> utf8Json) =>
        utf8Json.Length > Options.MaxDocumentBytes ? TooLarge(utf8Json.Length) : ParseAndValidate(utf8Json);

    private ValidationResult ParseAndValidate(ReadOnlyMemory<byte> utf8Json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { MaxDepth = Options.MaxDepth });
        }
        catch (JsonException exception)
        {
            return ExceedsDepth(utf8Json.Span)
                ? Failure(ValidationError.DepthLimitKeyword, $"The instance nests deeper than the maximum depth of {Options.MaxDepth}.")
                : Failure(ValidationError.InvalidJsonKeyword, $"The instance is not valid JSON: {exception.Message}");
        }

        using (document)
        {
            return Validate(document.RootElement);
        }
    }

    /// <summary>Tells a depth failure from a syntax error, with a reader that has no depth limit and no recursion.</summary>
    private bool ExceedsDepth(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = int.MaxValue });
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth >= Options.MaxDepth)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // Malformed before reaching the limit.
        }

        return false;
    }

    private ValidationResult TooLarge(long bytes) =>
        Failure(ValidationError.SizeLimitKeyword, $"The instance is {bytes} bytes; at most {Options.MaxDocumentBytes} are accepted.");

    private static ValidationResult Failure(string keyword, string message) =>
        new([new ValidationError("", keyword, "", message)]);

    private ValidationResult Run(in JsonElement instance, int maxErrors)
    {
        ValidationContext context = t_pooledContext ?? new ValidationContext();
        t_pooledContext = null;
        context.Start(Options, maxErrors);
        try
        {
            bool valid = _root.Validate(instance, context);
            List<ValidationError>? errors = context.TakeErrors();
            if (valid)
            {
                return ValidationResult.Valid;
            }

            // The fast path collects nothing; it still needs a result that says "invalid".
            return errors is { Count: > 0 } ? new ValidationResult(errors) : FastPathInvalid;
        }
        catch (ValidationLimitException limit)
        {
            List<ValidationError> errors = context.TakeErrors() ?? [];
            errors.Add(limit.Error);
            return new ValidationResult(errors);
        }
        catch (InsufficientExecutionStackException)
        {
            List<ValidationError> errors = context.TakeErrors() ?? [];
            errors.Add(new ValidationError(context.CurrentInstanceLocation(), ValidationError.DepthLimitKeyword, "",
                "Validation ran out of stack: the instance or the schema nests too deeply."));
            return new ValidationResult(errors);
        }
        finally
        {
            context.ClearPath();
            t_pooledContext = context;
        }
    }

    private static readonly ValidationResult FastPathInvalid =
        new([new ValidationError("", "", "", "The instance is invalid (fast path: no details collected).")]);
}
