using System.Collections.Concurrent;
using System.Text.Json;

namespace Sluice.JsonSchema;

/// <summary>
/// Schema documents that <c>$ref</c> can reach by absolute URI (remote references), shared by any
/// number of compilations. Thread-safe. Documents are copied on registration, so the caller may
/// dispose the <see cref="JsonDocument"/> they came from. Nothing is ever fetched from the network.
/// </summary>
public sealed class JsonSchemaRegistry
{
    private readonly ConcurrentDictionary<string, JsonElement> _documents = new(StringComparer.Ordinal);

    /// <summary>Registers <paramref name="schema"/> as the document served at <paramref name="uri"/> (any fragment is ignored).</summary>
    /// <exception cref="ArgumentException"><paramref name="uri"/> is relative.</exception>
    /// <exception cref="JsonSchemaException"><paramref name="schema"/> is not a JSON object.</exception>
    public void Register(Uri uri, JsonElement schema)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            throw new ArgumentException("A schema is registered under an absolute URI.", nameof(uri));
        }

        string key = UriKeys.DocumentKey(uri);
        if (schema.ValueKind != JsonValueKind.Object)
        {
            throw new JsonSchemaException(key + "#", $"a draft-4 schema must be a JSON object, found {schema.ValueKind}");
        }

        _documents[key] = schema.Clone();
    }

    /// <summary>Parses <paramref name="json"/> and registers it as the document served at <paramref name="uri"/>.</summary>
    /// <exception cref="JsonSchemaException"><paramref name="json"/> is not a JSON object.</exception>
    public void Register(Uri uri, string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using JsonDocument document = JsonSchema.ParseSchemaText(json);
        Register(uri, document.RootElement);
    }

    /// <summary>Registers <paramref name="schema"/> under its own absolute <c>id</c>, which it returns.</summary>
    /// <exception cref="JsonSchemaException">The schema has no absolute <c>id</c> or is not an object.</exception>
    public Uri Register(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object
            || !schema.TryGetProperty("id", out JsonElement id)
            || id.ValueKind != JsonValueKind.String
            || !Uri.TryCreate(id.GetString(), UriKind.Absolute, out Uri? uri))
        {
            throw new JsonSchemaException("#", "a schema registered without a URI needs an absolute \"id\"");
        }

        Register(uri, schema);
        return uri;
    }

    /// <summary>Whether a document is registered at <paramref name="uri"/> (fragment ignored).</summary>
    public bool Contains(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return uri.IsAbsoluteUri && _documents.ContainsKey(UriKeys.DocumentKey(uri));
    }

    internal bool TryGetDocument(string documentKey, out JsonElement schema) =>
        _documents.TryGetValue(documentKey, out schema);
}
