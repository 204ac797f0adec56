namespace Sluice.ObjectStore;

/// <summary>
/// A flat namespace of immutable-once-written objects addressed by '/'-separated keys, as in S3
/// (for example <c>raw/orders/ingest_date=2026-11-21/{jobId}/part-00000.ndjson</c>).
/// </summary>
/// <remarks>
/// <para>Every key is checked (see <see cref="ObjectKey"/>) before any I/O; a bad key throws
/// <see cref="InvalidObjectKeyException"/>.</para>
/// <para>A write is all-or-nothing: until <see cref="PutAsync"/> completes, readers see the previous
/// version of the object (or no object), never a partial one.</para>
/// <para>Implementations are safe to use from many threads at once.</para>
/// </remarks>
public interface IObjectStore
{
    /// <summary>
    /// Writes <paramref name="content"/>, read from its current position to its end, as the object
    /// <paramref name="key"/>, replacing any object already stored under that key. The content is
    /// streamed: objects of any size are written without holding the whole object in memory, and
    /// the stream may be non-seekable with an unknown length. The stream is not disposed.
    /// </summary>
    /// <param name="key">The object key.</param>
    /// <param name="content">The bytes to store.</param>
    /// <param name="contentType">The MIME type recorded with the object where the store keeps one
    /// (S3); ignored by the local directory store. Defaults to none.</param>
    /// <param name="cancellationToken">Cancels the write; a cancelled write leaves no object behind
    /// (and the previous version, if any, in place).</param>
    /// <exception cref="InvalidObjectKeyException">The key is not a valid object key.</exception>
    Task PutAsync(string key, Stream content, string? contentType = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes the whole file at <paramref name="path"/> as the object <paramref name="key"/>, with the
    /// guarantees of <see cref="PutAsync"/>. The caller hands the file over as it is: it must not be
    /// written to afterwards (a store may make the object share the file's storage, as the local
    /// directory store does with a hard link), though it may be deleted or put again.
    /// </summary>
    /// <param name="key">The object key.</param>
    /// <param name="path">The file to store; it is left in place.</param>
    /// <param name="contentType">As for <see cref="PutAsync"/>.</param>
    /// <param name="cancellationToken">As for <see cref="PutAsync"/>.</param>
    /// <exception cref="InvalidObjectKeyException">The key is not a valid object key.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    async Task PutFileAsync(string key, string path, string? contentType = null, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await PutAsync(key, file, contentType, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens the object <paramref name="key"/> for reading. Dispose the stream when done.</summary>
    /// <exception cref="ObjectNotFoundException">No object is stored under the key.</exception>
    /// <exception cref="InvalidObjectKeyException">The key is not a valid object key.</exception>
    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists every object whose key starts with <paramref name="prefix"/> (plain string match, as S3
    /// does: <c>raw/ord</c> matches <c>raw/orders/...</c>), in ascending order of the keys' UTF-8
    /// bytes. Listings of any size are paged through lazily.
    /// </summary>
    /// <param name="prefix">The key prefix; empty lists the whole store. It may end with '/'.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <exception cref="InvalidObjectKeyException">The prefix could never match a valid key (thrown
    /// on the first <c>MoveNextAsync</c>).</exception>
    IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Deletes the object <paramref name="key"/>. Deleting a missing object succeeds (as in S3).</summary>
    /// <exception cref="InvalidObjectKeyException">The key is not a valid object key.</exception>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Returns the size and modification time of the object <paramref name="key"/>, or null when it does not exist.</summary>
    /// <exception cref="InvalidObjectKeyException">The key is not a valid object key.</exception>
    Task<ObjectInfo?> TryGetInfoAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Tells whether an object is stored under <paramref name="key"/>.</summary>
    /// <exception cref="InvalidObjectKeyException">The key is not a valid object key.</exception>
    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default);
}
