using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sluice.JsonSchema.Validation.Keywords;

/// <summary>A name from <c>properties</c> and/or <c>required</c>.</summary>
internal sealed class PropertyEntry(string name, SchemaNode? schema, bool required)
{
    public string Name { get; } = name;

    public byte[] Utf8Name { get; } = Encoding.UTF8.GetBytes(name);

    /// <summary>The <c>properties</c> schema, or null when the name is only required.</summary>
    public SchemaNode? Schema { get; } = schema;

    public bool Required { get; } = required;
}

/// <summary>A <c>patternProperties</c> entry.</summary>
internal sealed record PatternPropertyEntry(Regex Regex, string Pattern, SchemaNode Schema);

/// <summary>
/// <c>properties</c>, <c>patternProperties</c>, <c>additionalProperties</c> and <c>required</c> in
/// one pass over the instance's members: each member is looked up once by its UTF-8 name, and the
/// required names seen along the way are ticked off instead of searched for afterwards.
/// </summary>
internal sealed class PropertiesKeyword : KeywordValidator
{
    // Above this many names a hash lookup beats comparing raw names one by one.
    private const int LinearLookupLimit = 12;

    private readonly PropertyEntry[] _entries;
    private readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>>? _lookup;
    private readonly PatternPropertyEntry[] _patterns;
    private readonly SchemaNode? _additional;
    private readonly bool _additionalForbidden;
    private readonly string _additionalLocation;
    private readonly int[] _requiredEntries;
    private readonly string _requiredLocation;
    private readonly bool _membersMatter;

    public PropertiesKeyword(
        PropertyEntry[] entries,
        PatternPropertyEntry[] patterns,
        SchemaNode? additional,
        bool additionalForbidden,
        string additionalLocation,
        string requiredLocation,
        string schemaLocation)
        : base("properties", schemaLocation)
    {
        _entries = entries;
        _patterns = patterns;
        _additional = additional;
        _additionalForbidden = additionalForbidden;
        _additionalLocation = additionalLocation;
        _requiredLocation = requiredLocation;
        _requiredEntries = Enumerable.Range(0, entries.Length).Where(index => entries[index].Required).ToArray();
        _membersMatter = patterns.Length > 0 || additional is not null || additionalForbidden
            || entries.Any(entry => entry.Schema is not null);
        if (entries.Length > LinearLookupLimit)
        {
            _lookup = entries.Select((entry, index) => KeyValuePair.Create(entry.Name, index))
                .ToFrozenDictionary(StringComparer.Ordinal)
                .GetAlternateLookup<ReadOnlySpan<char>>();
        }
    }

    public override InstanceKinds AppliesTo => InstanceKinds.Object;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        if (!_membersMatter && _requiredEntries.Length == 0)
        {
            return true;
        }

        Span<bool> seen = _entries.Length <= 64 ? stackalloc bool[_entries.Length] : new bool[_entries.Length];
        bool valid = true;
        foreach (JsonProperty member in instance.EnumerateObject())
        {
            if (!ValidateMember(member, seen, context))
            {
                valid = false;
                if (context.StopAfterFailure)
                {
                    return false;
                }
            }
        }

        foreach (int entry in _requiredEntries)
        {
            if (!seen[entry])
            {
                if (!context.CollectErrors)
                {
                    return false;
                }

                valid = false;
                context.Report("required", _requiredLocation, $"Required property {JsonText.Quote(_entries[entry].Name)} is missing.");
            }
        }

        return valid;
    }

    private bool ValidateMember(in JsonProperty member, Span<bool> seen, ValidationContext context)
    {
        bool valid = true;
        bool covered = false;
        int entry = Find(member);
        if (entry >= 0)
        {
            seen[entry] = true;
            SchemaNode? schema = _entries[entry].Schema;
            if (schema is not null)
            {
                covered = true;
                if (!ValidateValue(schema, member, context))
                {
                    valid = false;
                    if (context.StopAfterFailure)
                    {
                        return false;
                    }
                }
            }
        }

        if (_patterns.Length > 0)
        {
            valid &= ValidatePatterns(member, context, ref covered);
        }

        if (covered || (!_additionalForbidden && _additional is null) || !(valid || context.CollectErrors))
        {
            return valid;
        }

        if (_additionalForbidden)
        {
            if (context.CollectErrors)
            {
                context.Report("additionalProperties", _additionalLocation,
                    $"Property {JsonText.Quote(member.Name)} is not allowed: additionalProperties is false.");
            }

            return false;
        }

        return ValidateValue(_additional!, member, context) && valid;
    }

    private bool ValidatePatterns(in JsonProperty member, ValidationContext context, ref bool covered)
    {
        Span<char> buffer = stackalloc char[JsonText.StackChars];
        ReadOnlySpan<char> name = JsonText.GetNameChars(member, buffer, out char[]? rented);
        bool valid = true;
        try
        {
            foreach (PatternPropertyEntry pattern in _patterns)
            {
                if (!IsMatch(pattern, name))
                {
                    continue;
                }

                covered = true;
                if (!ValidateValue(pattern.Schema, member, context))
                {
                    valid = false;
                    if (context.StopAfterFailure)
                    {
                        return false;
                    }
                }
            }
        }
        finally
        {
            JsonText.Return(rented);
        }

        return valid;
    }

    private static bool IsMatch(PatternPropertyEntry pattern, ReadOnlySpan<char> name)
    {
        try
        {
            return pattern.Regex.IsMatch(name);
        }
        catch (RegexMatchTimeoutException)
        {
            // A name too costly to classify counts as matching, so its value is still checked against
            // the pattern's schema rather than slipping through as "additional".
            return true;
        }
    }

    private static bool ValidateValue(SchemaNode schema, in JsonProperty member, ValidationContext context)
    {
        context.PushProperty(member);
        bool valid = schema.Validate(member.Value, context);
        context.Pop();
        return valid;
    }

    private int Find(in JsonProperty member)
    {
        if (_entries.Length == 0)
        {
            return -1;
        }

        if (_lookup is { } lookup)
        {
            Span<char> buffer = stackalloc char[JsonText.StackChars];
            ReadOnlySpan<char> name = JsonText.GetNameChars(member, buffer, out char[]? rented);
            int found = lookup.TryGetValue(name, out int index) ? index : -1;
            JsonText.Return(rented);
            return found;
        }

        ReadOnlySpan<byte> utf8 = JsonText.UnescapedUtf8Name(member, out bool escaped);
        for (int index = 0; index < _entries.Length; index++)
        {
            if (escaped ? member.NameEquals(_entries[index].Utf8Name) : utf8.SequenceEqual(_entries[index].Utf8Name))
            {
                return index;
            }
        }

        return -1;
    }
}

/// <summary><c>minProperties</c>/<c>maxProperties</c>.</summary>
internal sealed class PropertyCountKeyword(bool isMaximum, long limit, string schemaLocation)
    : KeywordValidator(isMaximum ? "maxProperties" : "minProperties", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.Object;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        int count = instance.GetPropertyCount();
        bool valid = isMaximum ? count <= limit : count >= limit;
        if (!valid && context.CollectErrors)
        {
            context.Report(this, isMaximum
                ? $"Object has {count} properties; at most {limit} are allowed."
                : $"Object has {count} properties; at least {limit} are required.");
        }

        return valid;
    }
}

/// <summary>One <c>dependencies</c> entry: either property names or a schema.</summary>
internal sealed class DependencyEntry(string name, string[]? requiredNames, SchemaNode? schema)
{
    public string Name { get; } = name;

    public byte[] Utf8Name { get; } = Encoding.UTF8.GetBytes(name);

    public string[]? RequiredNames { get; } = requiredNames;

    public byte[][]? Utf8RequiredNames { get; } = requiredNames?.Select(Encoding.UTF8.GetBytes).ToArray();

    public SchemaNode? Schema { get; } = schema;
}

/// <summary><c>dependencies</c>: when a property is present, other properties (or a schema) are required of the object.</summary>
internal sealed class DependenciesKeyword(DependencyEntry[] entries, string schemaLocation) : KeywordValidator("dependencies", schemaLocation)
{
    public override InstanceKinds AppliesTo => InstanceKinds.Object;

    public override bool Validate(in JsonElement instance, ValidationContext context)
    {
        bool valid = true;
        foreach (DependencyEntry entry in entries)
        {
            if (!instance.TryGetProperty(entry.Utf8Name, out _))
            {
                continue;
            }

            bool entryValid = entry.Schema is { } schema
                ? schema.Validate(instance, context)
                : RequiredPresent(instance, entry, context);
            if (!entryValid)
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

    private bool RequiredPresent(in JsonElement instance, DependencyEntry entry, ValidationContext context)
    {
        bool valid = true;
        for (int index = 0; index < entry.Utf8RequiredNames!.Length; index++)
        {
            if (instance.TryGetProperty(entry.Utf8RequiredNames[index], out _))
            {
                continue;
            }

            if (!context.CollectErrors)
            {
                return false;
            }

            valid = false;
            context.Report(this, $"Property {JsonText.Quote(entry.Name)} requires property {JsonText.Quote(entry.RequiredNames![index])}, which is missing.");
        }

        return valid;
    }
}
