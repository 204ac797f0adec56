using System.Text.Json;

namespace Sluice.JsonSchema.Validation.Keywords;

/// <summary><c>allOf</c>: errors of the subschemas are the errors of the instance.</summary>
internal sealed class AllOfKeyword(SchemaNode[] schemas, string schemaLocation) : KeywordValidator("allOf", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.All;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        bool valid = true;
        foreach (SchemaNode schema in schemas)
        {
            if (!schema.Validate(instance, context))
            {
                valid = false;
                if (context.StopAfterFailure)
                {
                    return false;
                }
            }
        }

        return valid;
    }
}

/// <summary><c>anyOf</c>: branches are tried for their outcome only; one error sums up a miss.</summary>
internal sealed class AnyOfKeyword(SchemaNode[] schemas, string schemaLocation) : KeywordValidator("anyOf", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.All;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        bool collect = context.CollectErrors;
        context.CollectErrors = false;
        bool valid = false;
        foreach (SchemaNode schema in schemas)
        {
            if (schema.Validate(instance, context))
            {
                valid = true;
                break;
            }
        }

        context.CollectErrors = collect;
        if (!valid && collect)
        {
            context.Report(this, $"Value does not match any of the {schemas.Length} schemas in anyOf.");
        }

        return valid;
    }
}

/// <summary><c>oneOf</c>: exactly one branch must match.</summary>
internal sealed class OneOfKeyword(SchemaNode[] schemas, string schemaLocation) : KeywordValidator("oneOf", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.All;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        bool collect = context.CollectErrors;
        context.CollectErrors = false;
        int firstMatch = -1;
        int secondMatch = -1;
        for (int index = 0; index < schemas.Length; index++)
        {
            if (!schemas[index].Validate(instance, context))
            {
                continue;
            }

            if (firstMatch >= 0)
            {
                secondMatch = index;
                break;
            }

            firstMatch = index;
        }

        context.CollectErrors = collect;
        bool valid = firstMatch >= 0 && secondMatch < 0;
        if (!valid && collect)
        {
            context.Report(this, firstMatch < 0
                ? $"Value does not match any of the {schemas.Length} schemas in oneOf."
                : $"Value matches more than one schema in oneOf (at least {firstMatch} and {secondMatch}).");
        }

        return valid;
    }
}

/// <summary><c>not</c>.</summary>
internal sealed class NotKeyword(SchemaNode schema, string schemaLocation) : KeywordValidator("not", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.All;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        bool collect = context.CollectErrors;
        context.CollectErrors = false;
        bool matched = schema.Validate(instance, context);
        context.CollectErrors = collect;
        if (matched && collect)
        {
            context.Report(this, "Value matches the schema in not.");
        }

        return !matched;
    }
}

/// <summary>
/// <c>$ref</c>, bound to its target once every reference is resolved. After compilation a node
/// that is only a reference forwards straight to its target, so this keyword remains only on the
/// compile-time graph.
/// </summary>
internal sealed class RefKeyword(string reference, string schemaLocation) : KeywordValidator("$ref", schemaLocation)
{
    public string Reference { get; } = reference;

    public SchemaNode? Target { get; set; }

    public override InstanceKinds AppliesTo => InstanceKinds.All;

    public override bool Validate(in JsonElement instance, ValidationContext context) =>
        Target!.Validate(instance, context);
}
