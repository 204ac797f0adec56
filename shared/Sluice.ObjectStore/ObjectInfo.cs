namespace Sluice.ObjectStore;

/// <summary>What a store knows about one stored object.</summary>
/// <param name="Key">The object key, relative to the store (without any S3 key prefix the store was configured with).</param>
/// <param name="Size">The object's length in bytes.</param>
/// <param name="LastModified">When the object was last written (S3 keeps whole seconds).</param>
public sealed record ObjectInfo(string Key, long Size, DateTimeOffset LastModified);
