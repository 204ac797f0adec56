using System.Text.Json;

namespace Sluice.JsonSchema.Validation.Keywords;

/// <summary><c>minimum</c>/<c>maximum</c> with their draft-4 boolean <c>exclusiveMinimum</c>/<c>exclusiveMaximum</c>.</summary>
internal sealed class NumberBoundKeyword(bool isMaximum, SchemaNumber limit, bool exclusive, string schemaLocation)
    : KeywordValidator(isMaximum ? "maximum" : "minimum", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.Number;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        int comparison = NumberComparison.Compare(instance, limit);
        bool valid = isMaximum
            ? (exclusive ? comparison < 0 : comparison <= 0)
            : (exclusive ? comparison > 0 : comparison >= 0);
        if (!valid && context.CollectErrors)
        {
            string relation = (isMaximum, exclusive) switch
            {
                (true, true) => "less than",
                (true, false) => "at most",
                (false, true) => "greater than",
                (false, false) => "at least",
            };
            context.Report(this, $"Number {JsonText.Preview(instance)} must be {relation} {limit.Literal}.");
        }

        return valid;
    }
}

/// <summary><c>multipleOf</c>, exact for decimal divisors and numbers of any size.</summary>
internal sealed class MultipleOfKeyword(SchemaNumber divisor, string schemaLocation) : KeywordValidator("multipleOf", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.Number;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        if (NumberComparison.IsMultipleOf(instance, divisor))
        {
            return true;
        }

        if (context.CollectErrors)
        {
            context.Report(this, $"Number {JsonText.Preview(instance)} is not a multiple of {divisor.Literal}.");
        }

        return false;
    }
}
