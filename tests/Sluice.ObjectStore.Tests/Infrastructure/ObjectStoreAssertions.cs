using System.Security.Cryptography;
using System.Text;

namespace Sluice.ObjectStore.Tests.Infrastructure;

internal static class ObjectStoreAssertions
{
    public static async Task<byte[]> ReadAllBytesAsync(this IObjectStore store, string key)
    {
        await using Stream stream = await store.OpenReadAsync(key);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public static async Task<string> ReadAllTextAsync(this IObjectStore store, string key) =>
        Encoding.UTF8.GetString(await store.ReadAllBytesAsync(key));

    public static Task PutTextAsync(this IObjectStore store, string key, string text) =>
        store.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(text)), "text/plain");

    public static async Task<List<ObjectInfo>> ListAllAsync(this IObjectStore store, string prefix)
    {
        var items = new List<ObjectInfo>();
        await foreach (ObjectInfo item in store.ListAsync(prefix))
        {
            items.Add(item);
        }

        return items;
    }

    public static async Task<List<string>> ListKeysAsync(this IObjectStore store, string prefix) =>
        (await store.ListAllAsync(prefix)).Select(item => item.Key).ToList();

    /// <summary>SHA-256 of the object and its length, read as a stream.</summary>
    public static async Task<(string Hash, long Length)> HashObjectAsync(this IObjectStore store, string key)
    {
        await using Stream stream = await store.OpenReadAsync(key);
        return await HashAsync(stream);
    }

    public static async Task<(string Hash, long Length)> HashAsync(Stream stream)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[81_920];
        long length = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
        }

        return (Convert.ToHexString(hash.GetHashAndReset()), length);
    }

    public static Task<(string Hash, long Length)> HashPatternAsync(long length, int seed) =>
        HashAsync(new PatternStream(length, seed));
}
