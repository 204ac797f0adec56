using System.Buffers;
using System.Text.Json;

namespace Sluice.JsonSchema.Validation.Keywords;

/// <summary><c>items</c> as one schema: every element must match it.</summary>
internal sealed class ItemsKeyword(SchemaNode items, string schemaLocation) : KeywordValidator("items", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.Array;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        bool valid = true;
        int index = 0;
        foreach (JsonElement item in instance.EnumerateArray())
        {
            context.PushIndex(index++);
            bool itemValid = items.Validate(item, context);
            context.Pop();
            if (!itemValid)
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

/// <summary>
/// <c>items</c> as an array of schemas (one per position) with <c>additionalItems</c> for the
/// positions beyond it: <see langword="null"/> schema and not forbidden means anything goes.
/// </summary>
internal sealed class TupleItemsKeyword(
    SchemaNode[] positions,
    SchemaNode? additionalItems,
    bool additionalForbidden,
    string additionalItemsLocation,
    string schemaLocation) : KeywordValidator("items", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.Array;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        bool valid = true;
        int index = 0;
        foreach (JsonElement item in instance.EnumerateArray())
        {
            SchemaNode? schema = index < positions.Length ? positions[index] : additionalItems;
            if (schema is null)
            {
                if (!additionalForbidden)
                {
                    break;
                }

                if (context.CollectErrors)
                {
                    context.Report("additionalItems", additionalItemsLocation,
                        $"Array has {instance.GetArrayLength()} items; additionalItems is false, so at most {positions.Length} are allowed.");
                }

                return false;
            }

            context.PushIndex(index++);
            bool itemValid = schema.Validate(item, context);
            context.Pop();
            if (!itemValid)
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

/// <summary><c>minItems</c>/<c>maxItems</c>.</summary>
internal sealed class ItemCountKeyword(bool isMaximum, long limit, string schemaLocation)
    : KeywordValidator(isMaximum ? "maxItems" : "minItems", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.Array;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        int count = instance.GetArrayLength();
        bool valid = isMaximum ? count <= limit : count >= limit;
        if (!valid && context.CollectErrors)
        {
            context.Report(this, isMaximum
                ? $"Array has {count} items; at most {limit} are allowed."
                : $"Array has {count} items; at least {limit} are required.");
        }

        return valid;
    }
}

/// <summary><c>uniqueItems</c>: no two elements JSON-equal. Pairwise for short arrays, hashed for long ones.</summary>
internal sealed class UniqueItemsKeyword(string schemaLocation) : KeywordValidator("uniqueItems", schemaLocation)
{
    private const int PairwiseLimit = 16;

    public override InstanceKinds AppliesTo => InstanceKinds.Array;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        int count = instance.GetArrayLength();
        if (count < 2)
        {
            return true;
        }

        (int First, int Second) duplicate = count <= PairwiseLimit
            ? FindDuplicatePairwise(instance, count, context)
            : FindDuplicateHashed(instance, count, context);
        if (duplicate.First < 0)
        {
            return true;
        }

        if (context.CollectErrors)
        {
            context.Report(this, $"Array items {duplicate.First} and {duplicate.Second} are equal; uniqueItems requires distinct items.");
        }

        return false;
    }

    private static (int, int) FindDuplicatePairwise(in JsonElement array, int count, ValidationContext context)
    {
        for (int first = 0; first < count; first++)
        {
            JsonElement left = array[first];
            for (int second = first + 1; second < count; second++)
            {
                if (JsonEquality.AreEqual(left, array[second], context))
                {
                    return (first, second);
                }
            }
        }

        return (-1, -1);
    }

    private static (int, int) FindDuplicateHashed(in JsonElement array, int count, ValidationContext context)
    {
        long[] keys = ArrayPool<long>.Shared.Rent(count);
        try
        {
            // Hash in the high half, index in the low half: sorting groups equal hashes together.
            int position = 0;
            foreach (JsonElement item in array.EnumerateArray())
            {
                keys[position] = ((long)JsonEquality.GetHashCode(item, context) << 32) | (uint)position;
                position++;
            }

            Array.Sort(keys, 0, count);
            for (int start = 0; start < count;)
            {
                int end = start + 1;
                while (end < count && keys[end] >> 32 == keys[start] >> 32)
                {
                    end++;
                }

                for (int first = start; first < end; first++)
                {
                    for (int second = first + 1; second < end; second++)
                    {
                        int firstIndex = (int)(uint)keys[first];
                        int secondIndex = (int)(uint)keys[second];
                        if (JsonEquality.AreEqual(array[firstIndex], array[secondIndex], context))
                        {
                            return (Math.Min(firstIndex, secondIndex), Math.Max(firstIndex, secondIndex));
                        }
                    }
                }

                start = end;
            }

            return (-1, -1);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(keys);
        }
    }
}
