namespace Sluice.ObjectStore;

/// <summary>Creates the store <see cref="ObjectStoreOptions"/> describe, for code that does not use dependency injection.</summary>
public static class ObjectStoreFactory
{
    /// <summary>Creates the configured store. Dispose it when done if it is <see cref="IDisposable"/> (the S3 store owns an HTTP client).</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message names each wrong setting.</exception>
    public static IObjectStore Create(ObjectStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new ObjectStoreOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new ArgumentException(result.FailureMessage, nameof(options));
        }

        return string.Equals(options.Provider, ObjectStoreProviders.S3, StringComparison.OrdinalIgnoreCase)
            ? new S3ObjectStore(options.S3)
            : new LocalDirectoryObjectStore(options.LocalRoot!);
    }
}
