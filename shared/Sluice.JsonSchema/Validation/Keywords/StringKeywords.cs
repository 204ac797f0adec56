using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sluice.JsonSchema.Validation.Keywords;

/// <summary><c>minLength</c>/<c>maxLength</c>, counted in code points.</summary>
internal sealed class StringLengthKeyword(bool isMaximum, long limit, string schemaLocation)
    : KeywordValidator(isMaximum ? "maxLength" : "minLength", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.String;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        int length = JsonText.CodePointLength(instance);
        bool valid = isMaximum ? length <= limit : length >= limit;
        if (!valid && context.CollectErrors)
        {
            context.Report(this, isMaximum
                ? $"String is {length} characters long; at most {limit} are allowed."
                : $"String is {length} characters long; at least {limit} are required.");
        }

        return valid;
    }
}

/// <summary><c>pattern</c>: an ECMA 262 regular expression that must match somewhere in the string.</summary>
internal sealed class PatternKeyword(Regex regex, string pattern, string schemaLocation) : KeywordValidator("pattern", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.String;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        Span<char> buffer = stackalloc char[JsonText.StackChars];
        ReadOnlySpan<char> text = JsonText.GetChars(instance, buffer, out char[]? rented);
        bool valid;
        string? failure = null;
        try
        {
            valid = regex.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            valid = false;
            failure = $"Matching pattern '{pattern}' took longer than {regex.MatchTimeout.TotalMilliseconds} ms; the string is rejected.";
        }

        if (!valid && context.CollectErrors)
        {
            context.Report(this, failure ?? $"String {JsonText.Preview(instance)} does not match pattern '{pattern}'.");
        }

        JsonText.Return(rented);
        return valid;
    }
}

/// <summary><c>format</c> for the formats this library asserts.</summary>
internal sealed class FormatKeyword(FormatKind format, string schemaLocation) : KeywordValidator("format", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.String;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        Span<char> buffer = stackalloc char[JsonText.StackChars];
        ReadOnlySpan<char> text = JsonText.GetChars(instance, buffer, out char[]? rented);
        bool valid = Formats.IsValid(format, text);
        JsonText.Return(rented);
        if (!valid && context.CollectErrors)
        {
            context.Report(this, $"String {JsonText.Preview(instance)} is not a valid {Formats.Name(format)}.");
        }

        return valid;
    }
}
