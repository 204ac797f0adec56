namespace Sluice.ObjectStore;

/// <summary>The base of every error an <see cref="IObjectStore"/> raises about keys and objects.</summary>
public class ObjectStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ObjectStoreException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
