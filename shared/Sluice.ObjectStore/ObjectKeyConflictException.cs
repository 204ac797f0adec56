namespace Sluice.ObjectStore;

/// <summary>
/// A write could not be stored because the key collides with the store's layout: in the local
/// directory store a key cannot name an object and also be a '/'-terminated prefix of other keys
/// (<c>a</c> and <c>a/b</c>), because a file and a directory cannot share one path. S3 has no such limit.
/// </summary>
public sealed class ObjectKeyConflictException : ObjectStoreException
{
    /// <summary>Creates the exception for <paramref name="key"/>.</summary>
    public ObjectKeyConflictException(string key, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Key = key;
    }

    /// <summary>The key that could not be written.</summary>
    public string Key { get; }
}
