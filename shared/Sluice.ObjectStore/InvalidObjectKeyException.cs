namespace Sluice.ObjectStore;

/// <summary>A key or listing prefix was rejected before any I/O, because it could escape its bucket or directory or is not a key a store can hold.</summary>
public sealed class InvalidObjectKeyException : ObjectStoreException
{
    /// <summary>Creates the exception.</summary>
    public InvalidObjectKeyException(string key, ObjectKeyProblem problem, string message)
        : base(message)
    {
        Key = key;
        Problem = problem;
    }

    /// <summary>The rejected key or prefix.</summary>
    public string Key { get; }

    /// <summary>Which rule the key breaks.</summary>
    public ObjectKeyProblem Problem { get; }
}
