namespace Sluice.Validation;

/// <summary>A named resource (schema, schema version, ruleset, object) does not exist.</summary>
internal sealed class ResourceNotFoundException(string resourceType, string resourceName, string message) : Exception(message)
{
    /// <summary>E.g. "sluice.validation.v1.SchemaVersion".</summary>
    public string ResourceType { get; } = resourceType;

    public string ResourceName { get; } = resourceName;
}

/// <summary>A schema version already holds a different text: versions are immutable.</summary>
internal sealed class SchemaVersionConflictException(string name, int version)
    : Exception($"Schema '{name}' version {version} is already registered with a different text; versions are immutable, register a new version instead.")
{
    public string Name { get; } = name;

    public int Version { get; } = version;
}
