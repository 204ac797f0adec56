namespace Sluice.ObjectStore;

/// <summary>The values <see cref="ObjectStoreOptions.Provider"/> accepts (case-insensitive).</summary>
public static class ObjectStoreProviders
{
    /// <summary>A directory on the local file system: <see cref="LocalDirectoryObjectStore"/>.</summary>
    public const string Local = "Local";

    /// <summary>Amazon S3 or any S3-compatible server: <see cref="S3ObjectStore"/>.</summary>
    public const string S3 = "S3";
}
