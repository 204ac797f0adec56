using System.Runtime.CompilerServices;
using System.Text;

namespace Sluice.ObjectStore;

/// <summary>
/// An <see cref="IObjectStore"/> on a local directory (the embedded profile's default): the object
/// <c>raw/orders/part-00000.ndjson</c> is the file <c>{root}/raw/orders/part-00000.ndjson</c>, so the
/// data stays inspectable with ordinary tools.
/// </summary>
/// <remarks>
/// <para>Writes stream into a staging file under <c>{root}/.sluice-staging/</c> and are then renamed
/// into place, so a reader sees the old object or the new one, never part of one. The staging folder
/// is on the same file system as the objects, which is what makes the rename atomic; its name is
/// reserved and never listed.</para>
/// <para>Beyond the rules of <see cref="ObjectKey"/>, a segment is at most 255 bytes of UTF-8, and a
/// key cannot name an object while also being a '/'-terminated prefix of other keys (a file and a
/// directory cannot share a path; see <see cref="ObjectKeyConflictException"/>). The content type is
/// not recorded. Directories left empty by a delete are removed.</para>
/// </remarks>
public sealed class LocalDirectoryObjectStore : IObjectStore
{
    /// <summary>The top-level name under the root reserved for staging files.</summary>
    public const string StagingDirectoryName = ".sluice-staging";

    /// <summary>The longest segment (file or directory name) in bytes of UTF-8: 255, the usual file system limit.</summary>
    public const int MaxSegmentUtf8Bytes = 255;

    // Large enough to keep the disk busy, small enough to stay off the large object heap.
    private const int CopyBufferSize = 81_920;

    // A concurrent delete may remove the object's (empty) parent directory between creating it and
    // renaming into it; the rename is retried a bounded number of times.
    private const int MaxPlacementAttempts = 8;

    private readonly string _root;
    private readonly string _rootWithSeparator;
    private readonly string _stagingDirectory;

    /// <summary>Creates a store on <paramref name="rootDirectory"/>, creating the directory if it does not exist.</summary>
    /// <param name="rootDirectory">The directory holding the objects; a relative path is resolved against the current directory.</param>
    public LocalDirectoryObjectStore(string rootDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootDirectory);
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootDirectory));
        _rootWithSeparator = _root + Path.DirectorySeparatorChar;
        _stagingDirectory = Path.Combine(_root, StagingDirectoryName);
        Directory.CreateDirectory(_stagingDirectory);
    }

    /// <summary>The full path of the root directory.</summary>
    public string RootDirectory => _root;

    /// <inheritdoc />
    public async Task PutAsync(string key, Stream content, string? contentType = null, CancellationToken cancellationToken = default)
    {
        string path = ResolvePath(key);
        ArgumentNullException.ThrowIfNull(content);

        string stagingPath = NewStagingPath();
        try
        {
            await using (var staging = new FileStream(stagingPath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
            }))
            {
                await content.CopyToAsync(staging, CopyBufferSize, cancellationToken).ConfigureAwait(false);

                // Flush to the device before the rename makes the object visible, so that a crash
                // cannot leave a visible object with missing content.
                staging.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();
            MoveIntoPlace(key, stagingPath, path);
        }
        catch
        {
            TryDeleteFile(stagingPath);
            throw;
        }
    }

    /// <summary>
    /// Writes the file at <paramref name="path"/> as the object <paramref name="key"/> without copying
    /// it when it lies on the store's file system: the object becomes a hard link to the file, placed
    /// with the same staging rename as <see cref="PutAsync"/>. Elsewhere (another file system, no hard
    /// links) the file is copied as <see cref="PutAsync"/> would.
    /// </summary>
    /// <remarks>The object shares the file's storage, so the file must never be written to again; deleting it leaves the object intact.</remarks>
    public async Task PutFileAsync(string key, string path, string? contentType = null, CancellationToken cancellationToken = default)
    {
        string objectPath = ResolvePath(key);
        ArgumentException.ThrowIfNullOrEmpty(path);
        cancellationToken.ThrowIfCancellationRequested();

        string stagingPath = NewStagingPath();
        if (!HardLink.TryCreate(path, stagingPath))
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await PutAsync(key, file, contentType, cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            // As for PutAsync, the content reaches the device before the rename makes the object
            // visible; for a file its writer already flushed there is nothing left to write.
            using (var linked = new FileStream(stagingPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0))
            {
                linked.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();
            MoveIntoPlace(key, stagingPath, objectPath);
        }
        finally
        {
            // Gone after a successful rename, except when the object already was this very file (the
            // same file put again): rename then does nothing and the staging name remains.
            TryDeleteFile(stagingPath);
        }
    }

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        string path = ResolvePath(key);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            // FileShare.Delete lets a writer replace (or a caller delete) the object while it is
            // being read; the reader keeps the version it opened.
            Stream stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0,
            });
            return Task.FromResult(stream);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException
                                              || (exception is UnauthorizedAccessException && Directory.Exists(path)))
        {
            // A directory at the path is a prefix of other keys, not an object.
            throw new ObjectNotFoundException(key, exception);
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return ListCoreAsync(prefix, cancellationToken);
    }

    /// <inheritdoc />
    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        string path = ResolvePath(key);
        cancellationToken.ThrowIfCancellationRequested();
        if (!File.Exists(path))
        {
            return Task.CompletedTask;
        }

        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // Deleted concurrently together with its directory: the outcome asked for.
        }

        RemoveEmptyParents(path);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<ObjectInfo?> TryGetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        string path = ResolvePath(key);
        cancellationToken.ThrowIfCancellationRequested();
        var file = new FileInfo(path);
        ObjectInfo? info = file.Exists ? ToObjectInfo(key, file) : null;
        return Task.FromResult(info);
    }

    /// <inheritdoc />
    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) =>
        await TryGetInfoAsync(key, cancellationToken).ConfigureAwait(false) is not null;

    private async IAsyncEnumerable<ObjectInfo> ListCoreAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        CheckKey(prefix, isPrefix: true);

        // Start at the deepest directory the prefix names in full; below it, matching is by string.
        int lastSeparator = prefix.LastIndexOf('/');
        string startKeyPrefix = lastSeparator < 0 ? "" : prefix[..(lastSeparator + 1)];
        string startDirectory = startKeyPrefix.Length == 0 ? _root : ResolveUnchecked(startKeyPrefix[..^1]);

        // The walk is blocking file system work: leave the caller's synchronous context first.
        await Task.Yield();
        foreach (ObjectInfo info in Walk(startDirectory, startKeyPrefix, prefix))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return info;
        }
    }

    /// <summary>
    /// Depth-first walk with each directory's entries sorted by key, a directory standing for
    /// "name/": every key below "name/" sorts between it and its next sibling, so yielding in walk
    /// order yields keys in global order while holding one directory listing per level.
    /// </summary>
    private IEnumerable<ObjectInfo> Walk(string directory, string keyPrefix, string prefix)
    {
        foreach ((string key, FileSystemInfo entry) in ReadSortedEntries(directory, keyPrefix))
        {
            if (entry is DirectoryInfo)
            {
                bool isStaging = keyPrefix.Length == 0 && entry.Name == StagingDirectoryName;
                bool canMatch = key.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(key, StringComparison.Ordinal);
                if (isStaging || !canMatch)
                {
                    continue;
                }

                foreach (ObjectInfo info in Walk(entry.FullName, key, prefix))
                {
                    yield return info;
                }
            }
            else if (key.StartsWith(prefix, StringComparison.Ordinal) && FindProblem(key, isPrefix: false) is null)
            {
                // Files put there by other means whose names are not valid keys stay unlisted:
                // nothing could read them through this store.
                yield return ToObjectInfo(key, (FileInfo)entry);
            }
        }
    }

    private static List<(string Key, FileSystemInfo Entry)> ReadSortedEntries(string directory, string keyPrefix)
    {
        var options = new EnumerationOptions
        {
            // The default also skips Hidden, which on Unix means every name starting with '.'.
            // Symbolic links are skipped so a listing never loops or leaves the root.
            AttributesToSkip = FileAttributes.ReparsePoint,
            IgnoreInaccessible = true,
            RecurseSubdirectories = false,
        };

        var entries = new List<(string Key, FileSystemInfo Entry)>();
        try
        {
            foreach (FileSystemInfo entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", options))
            {
                string key = entry is DirectoryInfo ? $"{keyPrefix}{entry.Name}/" : keyPrefix + entry.Name;
                entries.Add((key, entry));
            }
        }
        catch (DirectoryNotFoundException)
        {
            // The prefix names no directory, or it was removed while being listed: nothing below it.
        }

        entries.Sort((left, right) => Utf8OrdinalComparer.Instance.Compare(left.Key, right.Key));
        return entries;
    }

    private string NewStagingPath() => Path.Combine(_stagingDirectory, $"{Guid.NewGuid():N}.partial");

    private void MoveIntoPlace(string key, string stagingPath, string path)
    {
        string parent = Path.GetDirectoryName(path)!;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                Directory.CreateDirectory(parent);
                if (Directory.Exists(path))
                {
                    throw PrefixConflict(key, innerException: null);
                }

                File.Move(stagingPath, path, overwrite: true);
                return;
            }
            catch (DirectoryNotFoundException) when (attempt < MaxPlacementAttempts && File.Exists(stagingPath))
            {
                // A concurrent delete removed a directory on the path after it was created (it
                // prunes directories it leaves empty); create the path again.
            }
            catch (IOException exception) when (FindFileOnPath(parent) is { } file)
            {
                throw new ObjectKeyConflictException(key,
                    $"Cannot write object key '{key}': the object '{ToKey(file)}' already exists where the key needs a directory.", exception);
            }
            catch (IOException exception) when (Directory.Exists(path))
            {
                throw PrefixConflict(key, exception);
            }
        }
    }

    private static ObjectKeyConflictException PrefixConflict(string key, Exception? innerException) =>
        new(key, $"Cannot write object key '{key}': other objects are stored under '{key}/', and a local directory store cannot hold both.", innerException);

    private string? FindFileOnPath(string directory)
    {
        for (string? current = directory; current is not null && IsUnderRoot(current); current = Path.GetDirectoryName(current))
        {
            if (File.Exists(current))
            {
                return current;
            }
        }

        return null;
    }

    private void RemoveEmptyParents(string path)
    {
        for (string? directory = Path.GetDirectoryName(path); directory is not null && IsUnderRoot(directory); directory = Path.GetDirectoryName(directory))
        {
            try
            {
                Directory.Delete(directory, recursive: false);
            }
            catch (DirectoryNotFoundException)
            {
                // Removed by a concurrent delete; its parent may still be empty.
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Not empty (or not ours to remove): every directory above it is not empty either.
                return;
            }
        }
    }

    private static ObjectInfo ToObjectInfo(string key, FileInfo file) =>
        new(key, file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));

    private string ToKey(string fullPath) =>
        fullPath[_rootWithSeparator.Length..].Replace(Path.DirectorySeparatorChar, '/');

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Best effort: the staging folder is never listed, so a leftover is only wasted space.
        }
    }

    /// <summary>Checks <paramref name="key"/> and maps it to its full path, proven to lie under the root.</summary>
    private string ResolvePath(string key)
    {
        CheckKey(key, isPrefix: false);
        return ResolveUnchecked(key);
    }

    private void CheckKey(string key, bool isPrefix)
    {
        if (FindProblem(key, isPrefix) is { } error)
        {
            throw error;
        }
    }

    private static InvalidObjectKeyException? FindProblem(string key, bool isPrefix)
    {
        if (ObjectKey.Check(key, isPrefix, ObjectKey.MaxUtf8Bytes) is { } error)
        {
            return error;
        }

        string kind = isPrefix ? "Object key prefix" : "Object key";
        if (Path.IsPathRooted(key))
        {
            return ObjectKey.Invalid(key, kind, ObjectKeyProblem.Absolute, "it is a rooted path on this platform");
        }

        foreach (Range range in key.AsSpan().Split('/'))
        {
            int segmentBytes = Encoding.UTF8.GetByteCount(key.AsSpan()[range]);
            if (segmentBytes > MaxSegmentUtf8Bytes)
            {
                return ObjectKey.Invalid(key, kind, ObjectKeyProblem.SegmentTooLong,
                    $"a segment is {segmentBytes} bytes of UTF-8, over the file name limit of {MaxSegmentUtf8Bytes}");
            }
        }

        if (key == StagingDirectoryName || key.StartsWith(StagingDirectoryName + "/", StringComparison.Ordinal))
        {
            return ObjectKey.Invalid(key, kind, ObjectKeyProblem.Reserved,
                $"'{StagingDirectoryName}' is reserved for the store's staging files");
        }

        return null;
    }

    private string ResolveUnchecked(string key)
    {
        string fullPath = Path.GetFullPath(Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar)));

        // The key rules already exclude every way out; this is the last line of defence should a
        // platform resolve some name unexpectedly.
        if (!IsUnderRoot(fullPath))
        {
            throw ObjectKey.Invalid(key, "Object key", ObjectKeyProblem.EscapesRoot, "it resolves outside the store's root directory");
        }

        return fullPath;
    }

    private bool IsUnderRoot(string fullPath) =>
        fullPath.StartsWith(_rootWithSeparator, PathComparison);

    private static StringComparison PathComparison =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
}
