namespace Sluice.ObjectStore;

/// <summary>No object is stored under the requested key.</summary>
public sealed class ObjectNotFoundException : ObjectStoreException
{
    /// <summary>Creates the exception for <paramref name="key"/>.</summary>
    public ObjectNotFoundException(string key, Exception? innerException = null)
        : base($"No object is stored under the key '{key}'.", innerException)
    {
        Key = key;
    }

    /// <summary>The key that was looked up.</summary>
    public string Key { get; }
}
