using System.Text.Json;

namespace Sluice.JsonSchema.Validation.Keywords;

/// <summary>The seven draft-4 primitive types.</summary>
[Flags]
internal enum SchemaTypes
{
    None = 0,
    Null = 1,
    Boolean = 2,
    Object = 4,
    Array = 8,
    Number = 16,
    Integer = 32,
    String = 64,
}

/// <summary><c>type</c>: "integer" is a number literal without fraction or exponent (draft 4 core, section 3.5).</summary>
internal sealed class TypeKeyword(SchemaTypes allowed, string expectedText, string schemaLocation)
    : KeywordValidator("type", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.All;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        bool valid = instance.ValueKind switch
        {
            JsonValueKind.Object => (allowed & SchemaTypes.Object) != 0,
            JsonValueKind.Array => (allowed & SchemaTypes.Array) != 0,
            JsonValueKind.String => (allowed & SchemaTypes.String) != 0,
            JsonValueKind.Number => (allowed & SchemaTypes.Number) != 0
                || ((allowed & SchemaTypes.Integer) != 0 && ExactNumber.IsIntegerLiteral(instance)),
            JsonValueKind.True or JsonValueKind.False => (allowed & SchemaTypes.Boolean) != 0,
            _ => (allowed & SchemaTypes.Null) != 0,
        };
        if (!valid && context.CollectErrors)
        {
            context.Report(this, $"Expected {expectedText} but found {Describe(instance)}.");
        }

        return valid;
    }

    public static string Describe(in JsonElement instance) => instance.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => ExactNumber.IsIntegerLiteral(instance) ? "integer" : "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };
}

/// <summary><c>enum</c>: equal (JSON equality) to one of the listed values.</summary>
internal sealed class EnumKeyword(JsonElement[] values, string schemaLocation) : KeywordValidator("enum", schemaLocation)
{
    private readonly string _allowedText = BuildAllowedText(values);

    public override InstanceKinds AppliesTo => InstanceKinds.All;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        foreach (JsonElement value in values)
        {
            if (JsonEquality.AreEqual(instance, value, context))
            {
                return true;
            }
        }

        if (context.CollectErrors)
        {
            context.Report(this, $"Value {JsonText.Preview(instance)} is not one of {_allowedText}.");
        }

        return false;
    }

    private static string BuildAllowedText(JsonElement[] values)
    {
        string joined = string.Join(", ", values.Select(value => value.GetRawText()));
        return joined.Length <= 120 ? "[" + joined + "]" : $"the {values.Length} values allowed by enum";
    }
}
