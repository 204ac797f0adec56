using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Sluice.JsonSchema;
using Sluice.Validation.Storage;

namespace Sluice.Validation.Schemas;

/// <summary>
/// Named, versioned JSON schemas: compiled before they are stored (a schema that does not
/// compile is never registered), and kept compiled in a bounded cache. Versions are immutable,
/// so a cached compilation never goes stale.
/// </summary>
internal sealed class SchemaRegistry : IDisposable
{
    public const string SchemaVersionResource = "sluice.validation.v1.SchemaVersion";

    private readonly IValidationStore _store;
    private readonly TimeProvider _time;
    private readonly MemoryCache _compiled;

    public SchemaRegistry(IValidationStore store, IOptions<ValidationOptions> options, TimeProvider time)
    {
        _store = store;
        _time = time;
        _compiled = new MemoryCache(new MemoryCacheOptions { SizeLimit = Math.Max(1, options.Value.CompiledSchemaCacheSize) });
    }

    /// <summary>Compiles an inline schema.</summary>
    /// <exception cref="JsonSchemaException">The text is not JSON or not a valid draft-4 schema.</exception>
    public static CompiledSchema Compile(string schemaJson) => JsonSchema.JsonSchema.Compile(schemaJson);

    /// <summary>Registers a schema version; <paramref name="compiled"/> saves compiling it again when the caller already did.</summary>
    /// <exception cref="JsonSchemaException">The schema does not compile.</exception>
    /// <exception cref="SchemaVersionConflictException">The version holds a different text.</exception>
    public async Task<(StoredSchema Schema, bool Created)> RegisterAsync(string name, string schemaJson, int? version, CancellationToken cancellationToken,
        CompiledSchema? compiled = null)
    {
        compiled ??= Compile(schemaJson);
        var (schema, created) = await _store.AddSchemaAsync(name, version, schemaJson, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (created)
        {
            Cache(schema.Name, schema.Version, compiled);
        }
        return (schema, created);
    }

    /// <exception cref="ResourceNotFoundException">No such schema or version.</exception>
    public async Task<StoredSchema> GetAsync(string name, int? version, CancellationToken cancellationToken) =>
        await _store.GetSchemaAsync(name, version, cancellationToken).ConfigureAwait(false) ?? throw NotFound(name, version);

    public Task<IReadOnlyList<StoredSchemaInfo>> ListAsync(string? name, SchemaCursor? after, int limit, CancellationToken cancellationToken) =>
        _store.ListSchemasAsync(name, after, limit, cancellationToken);

    /// <summary>The compiled schema of a version (the latest when null) and that version's number.</summary>
    /// <exception cref="ResourceNotFoundException">No such schema or version.</exception>
    public async Task<(CompiledSchema Schema, int Version)> GetCompiledAsync(string name, int? version, CancellationToken cancellationToken)
    {
        if (version is { } known && _compiled.TryGetValue(CacheKey(name, known), out CompiledSchema? cached))
        {
            return (cached!, known);
        }
        // The latest version can change with every registration, so it is always looked up.
        var stored = await GetAsync(name, version, cancellationToken).ConfigureAwait(false);
        if (_compiled.TryGetValue(CacheKey(stored.Name, stored.Version), out cached))
        {
            return (cached!, stored.Version);
        }
        // A stored schema compiled when it was registered, so this can fail only if the validator
        // became stricter since; that is the registry's fault, not the caller's.
        var compiled = Compile(stored.SchemaJson);
        Cache(stored.Name, stored.Version, compiled);
        return (compiled, stored.Version);
    }

    public void Dispose() => _compiled.Dispose();

    private void Cache(string name, int version, CompiledSchema compiled) =>
        _compiled.Set(CacheKey(name, version), compiled, new MemoryCacheEntryOptions { Size = 1 });

    private static (string, int) CacheKey(string name, int version) => (name, version);

    private static ResourceNotFoundException NotFound(string name, int? version) => version is { } v
        ? new ResourceNotFoundException(SchemaVersionResource, $"{name}/{v}", $"Schema '{name}' has no version {v}.")
        : new ResourceNotFoundException(SchemaVersionResource, name, $"No schema named '{name}' is registered.");
}
