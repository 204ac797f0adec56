namespace Sluice.JsonSchema;

/// <summary>Outcome of validating one instance.</summary>
public sealed class ValidationResult
{
    /// <summary>The shared result of every successful validation (no allocation on the valid path).</summary>
    public static ValidationResult Valid { get; } = new([]);

    internal ValidationResult(IReadOnlyList<ValidationError> errors)
    {
        Errors = errors;
    }

    /// <summary>Whether the instance satisfies the schema.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>
    /// Why it does not, in evaluation order; empty when valid. Capped at
    /// <see cref="JsonSchemaOptions.MaxErrors"/> (or one, for
    /// <see cref="CompiledSchema.ValidateFirstError(System.Text.Json.JsonElement)"/>).
    /// </summary>
    public IReadOnlyList<ValidationError> Errors { get; }

    /// <inheritdoc />
    public override string ToString() =>
        IsValid ? "valid" : string.Join(Environment.NewLine, Errors);
}
