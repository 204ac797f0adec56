using System.Text.Json;

namespace Sluice.JsonSchema.Validation;

/// <summary>Which instance kinds a keyword constrains; it is skipped for all others.</summary>
[Flags]
internal enum InstanceKinds
{
    Null = 1,
    Boolean = 2,
    Object = 4,
    Array = 8,
    Number = 16,
    String = 32,
    All = Null | Boolean | Object | Array | Number | String,
}

/// <summary>One compiled keyword (or group of keywords validated together).</summary>
internal abstract class KeywordValidator(string keyword, string schemaLocation)
{
    /// <summary>The keyword reported in errors.</summary>
    public string Keyword { get; } = keyword;

    /// <summary>Where the keyword is in its schema document (URI + '#' + JSON Pointer).</summary>
    public string SchemaLocation { get; } = schemaLocation;

    public abstract InstanceKinds AppliesTo { get; }

    /// <summary>
    /// Whether the instance passes. Reports errors to the context only while it collects them, and
    /// returns at the first failure when it does not.
    /// </summary>
    public abstract bool Validate(in JsonElement instance, ValidationContext context);
}

/// <summary>
/// A compiled schema object: its keywords pre-sorted by the instance kind they apply to, so that
/// validation does one switch and then runs only keywords that can fail.
/// </summary>
internal sealed class SchemaNode(string location)
{
    private static readonly KeywordValidator[] NoKeywords = [];

    private KeywordValidator[] _forNull = NoKeywords;
    private KeywordValidator[] _forBoolean = NoKeywords;
    private KeywordValidator[] _forObject = NoKeywords;
    private KeywordValidator[] _forArray = NoKeywords;
    private KeywordValidator[] _forNumber = NoKeywords;
    private KeywordValidator[] _forString = NoKeywords;

    /// <summary>Location of the schema object (URI + '#' + JSON Pointer).</summary>
    public string Location { get; } = location;

    public bool Validate(in JsonElement instance, ValidationContext context)
    {
        KeywordValidator[] keywords = instance.ValueKind switch
        {
            JsonValueKind.Object => _forObject,
            JsonValueKind.Array => _forArray,
            JsonValueKind.String => _forString,
            JsonValueKind.Number => _forNumber,
            JsonValueKind.True or JsonValueKind.False => _forBoolean,
            _ => _forNull,
        };
        if (keywords.Length == 0)
        {
            return true;
        }

        context.EnterSchema(Location);
        bool valid = true;
        foreach (KeywordValidator keyword in keywords)
        {
            if (!keyword.Validate(instance, context))
            {
                valid = false;
                if (context.StopAfterFailure)
                {
                    break;
                }
            }
        }

        context.ExitSchema();
        return valid;
    }

    /// <summary>Sets the keywords once, at compile time (nodes exist before their keywords so $ref cycles can point at them).</summary>
    public void SetKeywords(KeywordValidator[] keywords)
    {
        _forNull = Select(keywords, InstanceKinds.Null);
        _forBoolean = Select(keywords, InstanceKinds.Boolean);
        _forObject = Select(keywords, InstanceKinds.Object);
        _forArray = Select(keywords, InstanceKinds.Array);
        _forNumber = Select(keywords, InstanceKinds.Number);
        _forString = Select(keywords, InstanceKinds.String);
    }

    /// <summary>Makes this node (a pure <c>$ref</c>) behave exactly as its final target, without the indirection.</summary>
    public void ForwardTo(SchemaNode target)
    {
        _forNull = target._forNull;
        _forBoolean = target._forBoolean;
        _forObject = target._forObject;
        _forArray = target._forArray;
        _forNumber = target._forNumber;
        _forString = target._forString;
    }

    private static KeywordValidator[] Select(KeywordValidator[] keywords, InstanceKinds kind)
    {
        KeywordValidator[] selected = Array.FindAll(keywords, keyword => (keyword.AppliesTo & kind) != 0);
        return selected.Length == 0 ? NoKeywords : selected;
    }
}
