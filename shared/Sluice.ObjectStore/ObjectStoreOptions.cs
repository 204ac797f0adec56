namespace Sluice.ObjectStore;

/// <summary>
/// Which object store a service uses, bound from the configuration section
/// <see cref="SectionName"/> (for example <c>Sluice__ObjectStore__Provider=S3</c>).
/// </summary>
public sealed class ObjectStoreOptions
{
    /// <summary>The configuration section the options are read from by default: <c>Sluice:ObjectStore</c>.</summary>
    public const string SectionName = "Sluice:ObjectStore";

    /// <summary>
    /// <see cref="ObjectStoreProviders.Local"/> or <see cref="ObjectStoreProviders.S3"/>
    /// (case-insensitive). Defaults to <c>Local</c>, the embedded profile.
    /// </summary>
    public string Provider { get; set; } = ObjectStoreProviders.Local;

    /// <summary>
    /// The root directory of the local store; a relative path is resolved against the process's
    /// current directory. Used when <see cref="Provider"/> is <c>Local</c>. Defaults to <c>data/objects</c>.
    /// </summary>
    public string? LocalRoot { get; set; } = "data/objects";

    /// <summary>The S3 settings, used when <see cref="Provider"/> is <c>S3</c>.</summary>
    public S3ObjectStoreOptions S3 { get; set; } = new();
}
