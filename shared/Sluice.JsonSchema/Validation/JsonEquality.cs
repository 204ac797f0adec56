using System.Text;
using System.Text.Json;

namespace Sluice.JsonSchema.Validation;

/// <summary>
/// JSON equality as enum and uniqueItems need it: numbers by mathematical value (1 == 1.0), strings
/// by their unescaped value, objects regardless of member order. Recursion is bounded by the
/// context's depth limit, so a deeply nested instance fails validation instead of the process.
/// </summary>
internal static class JsonEquality
{
    public static bool AreEqual(in JsonElement left, in JsonElement right, ValidationContext context, int depth = 0)
    {
        JsonValueKind kind = left.ValueKind;
        if (kind != right.ValueKind)
        {
            return false;
        }

        switch (kind)
        {
            case JsonValueKind.Number:
                return NumberComparison.AreEqual(left, right);
            case JsonValueKind.String:
                return StringsEqual(left, right);
            case JsonValueKind.Array:
                return ArraysEqual(left, right, context, depth);
            case JsonValueKind.Object:
                return ObjectsEqual(left, right, context, depth);
            default:
                return true;
        }
    }

    private static bool StringsEqual(in JsonElement left, in JsonElement right)
    {
        ReadOnlySpan<byte> leftUtf8 = JsonText.UnescapedUtf8(left, out bool leftEscaped);
        ReadOnlySpan<byte> rightUtf8 = JsonText.UnescapedUtf8(right, out bool rightEscaped);
        if (!leftEscaped && !rightEscaped)
        {
            return leftUtf8.SequenceEqual(rightUtf8);
        }

        return string.Equals(left.GetString(), right.GetString(), StringComparison.Ordinal);
    }

    private static bool ArraysEqual(in JsonElement left, in JsonElement right, ValidationContext context, int depth)
    {
        if (left.GetArrayLength() != right.GetArrayLength())
        {
            return false;
        }

        CheckDepth(context, depth);
        JsonElement.ArrayEnumerator rightItems = right.EnumerateArray();
        foreach (JsonElement leftItem in left.EnumerateArray())
        {
            rightItems.MoveNext();
            if (!AreEqual(leftItem, rightItems.Current, context, depth + 1))
            {
                return false;
            }
        }

        return true;
    }

    private static bool ObjectsEqual(in JsonElement left, in JsonElement right, ValidationContext context, int depth)
    {
        if (left.GetPropertyCount() != right.GetPropertyCount())
        {
            return false;
        }

        CheckDepth(context, depth);
        foreach (JsonProperty property in left.EnumerateObject())
        {
            ReadOnlySpan<byte> name = JsonText.UnescapedUtf8Name(property, out bool escaped);
            bool found = escaped ? right.TryGetProperty(property.Name, out JsonElement other) : right.TryGetProperty(name, out other);
            if (!found || !AreEqual(property.Value, other, context, depth + 1))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A hash consistent with <see cref="AreEqual"/>.</summary>
    public static int GetHashCode(in JsonElement value, ValidationContext context, int depth = 0)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                // Equal numbers round to the same double; values beyond double range share a bucket.
                return value.TryGetDouble(out double number) && double.IsFinite(number)
                    ? (number == 0 ? 0.0 : number).GetHashCode()
                    : 0x5F3759DF;
            case JsonValueKind.String:
                return StringHash(value);
            case JsonValueKind.Array:
            {
                CheckDepth(context, depth);
                var hash = new HashCode();
                foreach (JsonElement item in value.EnumerateArray())
                {
                    hash.Add(GetHashCode(item, context, depth + 1));
                }

                return hash.ToHashCode();
            }

            case JsonValueKind.Object:
            {
                CheckDepth(context, depth);
                int hash = 0x2545F491;
                foreach (JsonProperty property in value.EnumerateObject())
                {
                    // Summing makes the hash independent of member order.
                    hash += HashCode.Combine(NameHash(property), GetHashCode(property.Value, context, depth + 1));
                }

                return hash;
            }

            default:
                return (int)value.ValueKind;
        }
    }

    private static int StringHash(in JsonElement value)
    {
        ReadOnlySpan<byte> utf8 = JsonText.UnescapedUtf8(value, out bool escaped);
        return escaped ? Utf8Hash(Encoding.UTF8.GetBytes(value.GetString()!)) : Utf8Hash(utf8);
    }

    private static int NameHash(in JsonProperty property)
    {
        ReadOnlySpan<byte> utf8 = JsonText.UnescapedUtf8Name(property, out bool escaped);
        return escaped ? Utf8Hash(Encoding.UTF8.GetBytes(property.Name)) : Utf8Hash(utf8);
    }

    private static int Utf8Hash(ReadOnlySpan<byte> utf8)
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        return hash.ToHashCode();
    }

    private static void CheckDepth(ValidationContext context, int depth)
    {
        if (context.InstanceDepth + depth >= context.MaxDepth)
        {
            throw new ValidationLimitException(new ValidationError(
                context.CurrentInstanceLocation(), ValidationError.DepthLimitKeyword, "",
                $"The instance nests deeper than the maximum depth of {context.MaxDepth}."));
        }
    }
}
