using System.Text.Json;

namespace Sluice.JsonSchema.Compilation;

/// <summary>A schema document taking part in one compilation: the root schema, or one reached by $ref.</summary>
internal sealed class SchemaDocument(JsonElement root, string key, string displayUri)
{
    public JsonElement Root { get; } = root;

    /// <summary>Absolute URI without fragment the document was loaded under.</summary>
    public string Key { get; } = key;

    /// <summary>Prefix of schema locations in errors: the URI, or empty for an anonymous root schema.</summary>
    public string DisplayUri { get; } = displayUri;

    public string Location(string pointer) => DisplayUri + "#" + pointer;
}

/// <summary>The draft-04 meta-schema, always resolvable (the suite's "remote ref, containing refs itself").</summary>
internal static class MetaSchemas
{
    public const string Draft04Key = "http://json-schema.org/draft-04/schema";

    private static readonly Lazy<JsonElement> Draft04Document = new(LoadDraft04);

    public static bool TryGet(string documentKey, out JsonElement schema)
    {
        if (documentKey == Draft04Key)
        {
            schema = Draft04Document.Value;
            return true;
        }

        schema = default;
        return false;
    }

    private static JsonElement LoadDraft04()
    {
        using Stream stream = typeof(MetaSchemas).Assembly.GetManifestResourceStream("Sluice.JsonSchema.MetaSchemas.draft-04-schema.json")
            ?? throw new InvalidOperationException("The draft-04 meta-schema resource is missing from the assembly.");
        using JsonDocument document = JsonDocument.Parse(stream);
        return document.RootElement.Clone();
    }
}
