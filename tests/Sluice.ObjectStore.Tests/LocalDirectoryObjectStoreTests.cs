using System.Diagnostics;
using System.Globalization;
using Sluice.ObjectStore.Tests.Infrastructure;

namespace Sluice.ObjectStore.Tests;

/// <summary>What is particular to <see cref="LocalDirectoryObjectStore"/>: the file layout, staging, directory conflicts and the root boundary.</summary>
public sealed class LocalDirectoryObjectStoreTests : IDisposable
{
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "sluice-object-store-tests", Guid.NewGuid().ToString("N"));
    private readonly string _root;
    private readonly LocalDirectoryObjectStore _store;

    public LocalDirectoryObjectStoreTests()
    {
        _root = Path.Combine(_scratch, "objects");
        _store = new LocalDirectoryObjectStore(_root);
    }

    public void Dispose()
    {
        if (Directory.Exists(_scratch))
        {
            Directory.Delete(_scratch, recursive: true);
        }
    }

    private string StagingDirectory => Path.Combine(_root, LocalDirectoryObjectStore.StagingDirectoryName);

    [Fact]
    public void Constructor_MissingRootDirectory_CreatesIt()
    {
        string root = Path.Combine(_scratch, "a", "b", "new-root");

        var store = new LocalDirectoryObjectStore(root);

        Assert.True(Directory.Exists(root));
        Assert.Equal(Path.GetFullPath(root), store.RootDirectory);
    }

    [Fact]
    public async Task PutAsync_Object_IsAFileAtTheKeyPathUnderTheRoot()
    {
        await _store.PutTextAsync("raw/orders/ingest_date=2026-11-21/job-1/part-00000.ndjson", "{\"id\":1}\n");

        string path = Path.Combine(_root, "raw", "orders", "ingest_date=2026-11-21", "job-1", "part-00000.ndjson");
        Assert.Equal("{\"id\":1}\n", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task PutAsync_Completed_LeavesNoStagingFiles()
    {
        await _store.PutAsync("raw/a.bin", new PatternStream(3 * 1024 * 1024, seed: 5));
        await _store.PutTextAsync("raw/a.bin", "replaced");

        Assert.Empty(Directory.EnumerateFileSystemEntries(StagingDirectory));
    }

    [Fact]
    public async Task PutFileAsync_FileOnTheStoresFileSystem_BecomesTheObjectWithoutACopy()
    {
        string spool = WriteScratchFile(Path.Combine(_scratch, "spool"), "part-00000.ndjson", "{\"id\":1}\n{\"id\":2}\n");
        string objectPath = Path.Combine(_root, "raw", "part-00000.ndjson");

        await _store.PutFileAsync("raw/part-00000.ndjson", spool);

        var (spoolInode, links) = FileIdentity(spool);
        Assert.Equal(spoolInode, FileIdentity(objectPath).Inode);
        Assert.Equal(2, links);
        Assert.Empty(Directory.EnumerateFileSystemEntries(StagingDirectory));

        File.Delete(spool);
        Assert.Equal("{\"id\":1}\n{\"id\":2}\n", await _store.ReadAllTextAsync("raw/part-00000.ndjson"));
        Assert.Equal(1, FileIdentity(objectPath).Links);
    }

    [Fact]
    public async Task PutFileAsync_SameFilePutAgain_KeepsTheObjectAndLeavesNoStagingName()
    {
        // A restart puts a pending part again from the spool file the object already links to.
        string spool = WriteScratchFile(Path.Combine(_scratch, "spool"), "part-00000.ndjson", "{\"id\":1}\n");
        await _store.PutFileAsync("raw/part-00000.ndjson", spool);

        await _store.PutFileAsync("raw/part-00000.ndjson", spool);

        Assert.Empty(Directory.EnumerateFileSystemEntries(StagingDirectory));
        Assert.Equal(2, FileIdentity(spool).Links);
        Assert.Equal("{\"id\":1}\n", await _store.ReadAllTextAsync("raw/part-00000.ndjson"));
    }

    [Fact]
    public async Task PutFileAsync_ReplacingAnObject_ReaderOfTheOldVersionKeepsIt()
    {
        await _store.PutTextAsync("raw/a.ndjson", "old\n");
        await using var reader = await _store.OpenReadAsync("raw/a.ndjson");
        string spool = WriteScratchFile(Path.Combine(_scratch, "spool"), "a.ndjson", "new\n");

        await _store.PutFileAsync("raw/a.ndjson", spool);

        Assert.Equal("old\n", await new StreamReader(reader).ReadToEndAsync());
        Assert.Equal("new\n", await _store.ReadAllTextAsync("raw/a.ndjson"));
    }

    [Fact]
    public async Task PutFileAsync_FileOnAnotherFileSystem_IsCopied()
    {
        // /dev/shm is a tmpfs on Linux, never the file system of the temporary directory the store is in.
        const string otherFileSystem = "/dev/shm";
        Assert.True(Directory.Exists(otherFileSystem), $"This test needs {otherFileSystem} (a tmpfs) as a second file system.");
        string file = WriteScratchFile(otherFileSystem, $"sluice-object-store-{Guid.NewGuid():N}.ndjson", "{\"id\":3}\n");
        try
        {
            Assert.NotEqual(Device(file), Device(_root));

            await _store.PutFileAsync("raw/copied.ndjson", file);

            Assert.Equal("{\"id\":3}\n", await _store.ReadAllTextAsync("raw/copied.ndjson"));
            Assert.Equal(1, FileIdentity(file).Links);
            Assert.Equal(1, FileIdentity(Path.Combine(_root, "raw", "copied.ndjson")).Links);
            Assert.Empty(Directory.EnumerateFileSystemEntries(StagingDirectory));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string WriteScratchFile(string directory, string name, string text)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The inode and hard-link count of a file, as <c>stat</c> reports them (.NET exposes neither).</summary>
    private static (long Inode, int Links) FileIdentity(string path)
    {
        string[] fields = Stat("%i %h", path).Split(' ');
        return (long.Parse(fields[0], CultureInfo.InvariantCulture), int.Parse(fields[1], CultureInfo.InvariantCulture));
    }

    private static string Device(string path) => Stat("%d", path);

    private static string Stat(string format, string path)
    {
        var start = new ProcessStartInfo("stat", ["-c", format, path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start 'stat'.");
        string output = process.StandardOutput.ReadToEnd().Trim();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"stat {path} failed: {error}");
        return output;
    }

    [Fact]
    public async Task PutAsync_ContentStreamFails_LeavesNoStagingFileAndNoObject()
    {
        var content = new GatedStream(new PatternStream(1024 * 1024, seed: 6), gateAt: 512 * 1024);
        using var cancellation = new CancellationTokenSource();

        Task put = _store.PutAsync("raw/a.bin", content, cancellationToken: cancellation.Token);
        await content.ReachedGate.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Single(Directory.EnumerateFiles(StagingDirectory));
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => put);
        Assert.Empty(Directory.EnumerateFileSystemEntries(StagingDirectory));
        Assert.False(File.Exists(Path.Combine(_root, "raw", "a.bin")));
    }

    [Fact]
    public async Task ListAsync_WhileAWriteIsStaged_DoesNotListTheStagingFile()
    {
        var content = new GatedStream(new PatternStream(1024 * 1024, seed: 7), gateAt: 512 * 1024);

        Task put = _store.PutAsync("raw/a.bin", content);
        await content.ReachedGate.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(await _store.ListKeysAsync(""));
        Assert.Empty(await _store.ListKeysAsync("."));
        content.Open();
        await put;
        Assert.Equal(["raw/a.bin"], await _store.ListKeysAsync(""));
    }

    [Fact]
    public async Task PutAsync_KeyBelowAnExistingObject_ThrowsObjectKeyConflictException()
    {
        await _store.PutTextAsync("raw/orders", "an object");

        var error = await Assert.ThrowsAsync<ObjectKeyConflictException>(() => _store.PutTextAsync("raw/orders/part-00000.ndjson", "{}"));

        Assert.Equal("raw/orders/part-00000.ndjson", error.Key);
        Assert.Contains("'raw/orders'", error.Message);
        Assert.Equal("an object", await _store.ReadAllTextAsync("raw/orders"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(StagingDirectory));
    }

    [Fact]
    public async Task PutAsync_KeyThatIsAPrefixOfOtherObjects_ThrowsObjectKeyConflictException()
    {
        await _store.PutTextAsync("raw/orders/part-00000.ndjson", "{}");

        var error = await Assert.ThrowsAsync<ObjectKeyConflictException>(() => _store.PutTextAsync("raw/orders", "an object"));

        Assert.Contains("'raw/orders/'", error.Message);
        Assert.Equal(["raw/orders/part-00000.ndjson"], await _store.ListKeysAsync(""));
        Assert.Empty(Directory.EnumerateFileSystemEntries(StagingDirectory));
    }

    [Fact]
    public async Task ListAsync_PrefixReachingBelowAnObject_ReturnsNoObjects()
    {
        await _store.PutTextAsync("raw/orders", "an object, not a directory");

        Assert.Empty(await _store.ListKeysAsync("raw/orders/"));
        Assert.Empty(await _store.ListKeysAsync("raw/orders/part"));
        Assert.Equal(["raw/orders"], await _store.ListKeysAsync("raw/orders"));
    }

    [Fact]
    public async Task DeleteAsync_LastObjectInItsDirectories_RemovesTheEmptyDirectories()
    {
        await _store.PutTextAsync("raw/orders/ingest_date=2026-11-21/part-00000.ndjson", "{}");
        await _store.PutTextAsync("raw/customers/part-00000.ndjson", "{}");

        await _store.DeleteAsync("raw/orders/ingest_date=2026-11-21/part-00000.ndjson");

        Assert.False(Directory.Exists(Path.Combine(_root, "raw", "orders")));
        Assert.True(Directory.Exists(Path.Combine(_root, "raw", "customers")));
        Assert.True(Directory.Exists(StagingDirectory));

        // The key that was a directory can now be an object.
        await _store.PutTextAsync("raw/orders", "now an object");
        Assert.Equal("now an object", await _store.ReadAllTextAsync("raw/orders"));
    }

    [Fact]
    public async Task PutAndDelete_ConcurrentInSameDirectory_EveryPutSurvives()
    {
        // Deletes prune directories that puts into the same directory are about to use.
        string[] kept = Enumerable.Range(0, 40).Select(i => $"raw/churn/keep-{i:D3}").ToArray();
        string[] churned = Enumerable.Range(0, 40).Select(i => $"raw/churn/drop-{i:D3}").ToArray();
        await Parallel.ForEachAsync(churned, async (key, _) => await _store.PutTextAsync(key, key));

        await Task.WhenAll(
            Parallel.ForEachAsync(kept, async (key, _) => await _store.PutTextAsync(key, key)),
            Parallel.ForEachAsync(churned, async (key, _) => await _store.DeleteAsync(key)));

        Assert.Equal(kept, await _store.ListKeysAsync("raw/churn/"));
    }

    public static TheoryData<string, ObjectKeyProblem> LocalOnlyInvalidKeys => new()
    {
        { LocalDirectoryObjectStore.StagingDirectoryName, ObjectKeyProblem.Reserved },
        { LocalDirectoryObjectStore.StagingDirectoryName + "/x.partial", ObjectKeyProblem.Reserved },
        { "raw/" + new string('a', 256), ObjectKeyProblem.SegmentTooLong },
        { "raw/" + string.Concat(Enumerable.Repeat("€", 86)), ObjectKeyProblem.SegmentTooLong },
    };

    [Theory]
    [MemberData(nameof(LocalOnlyInvalidKeys))]
    public async Task EveryOperation_KeyTheFileSystemCannotHold_IsRejected(string key, ObjectKeyProblem problem)
    {
        Assert.Equal(problem, (await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.PutAsync(key, new UnreadableStream()))).Problem);
        Assert.Equal(problem, (await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.OpenReadAsync(key))).Problem);
        Assert.Equal(problem, (await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.DeleteAsync(key))).Problem);
        Assert.Equal(problem, (await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.ExistsAsync(key))).Problem);
        Assert.Equal(problem, (await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.ListKeysAsync(key + "/"))).Problem);
    }

    [Fact]
    public async Task PutAsync_SegmentOfExactly255Bytes_RoundTrips()
    {
        string key = "raw/" + new string('b', 255);

        await _store.PutTextAsync(key, "longest name");

        Assert.Equal("longest name", await _store.ReadAllTextAsync(key));
    }

    [Fact]
    public async Task PutAsync_KeyOfExactly1024Bytes_RoundTrips()
    {
        string key = InvalidKeys.LongKey(1024, "€");

        await _store.PutTextAsync(key, "at the limit");

        Assert.Equal("at the limit", await _store.ReadAllTextAsync(key));
    }

    [Fact]
    public async Task InvalidKey_RejectedWrite_CreatesNothingOnDisk()
    {
        foreach ((string key, _) in InvalidKeys.Cases.Values)
        {
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.PutAsync(key, new UnreadableStream()));
        }

        Assert.Equal([StagingDirectory], Directory.EnumerateFileSystemEntries(_root));
        Assert.Empty(Directory.EnumerateFileSystemEntries(StagingDirectory));
        Assert.Equal(["objects"], Directory.EnumerateFileSystemEntries(_scratch).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ListAsync_SymbolicLinkToDirectoryOutsideRoot_IsNotFollowed()
    {
        string outside = Path.Combine(_scratch, "outside");
        Directory.CreateDirectory(outside);
        await File.WriteAllTextAsync(Path.Combine(outside, "secret.txt"), "not in the store");
        await _store.PutTextAsync("raw/a.ndjson", "{}");
        Directory.CreateSymbolicLink(Path.Combine(_root, "raw", "link"), outside);

        Assert.Equal(["raw/a.ndjson"], await _store.ListKeysAsync(""));
    }

    [Fact]
    public async Task ListAsync_FileWhoseNameIsNotAValidKey_IsNotListed()
    {
        await _store.PutTextAsync("raw/good.ndjson", "{}");
        await File.WriteAllTextAsync(Path.Combine(_root, "raw", "bad\\name.ndjson"), "written by another tool");

        Assert.Equal(["raw/good.ndjson"], await _store.ListKeysAsync(""));
    }

    [Fact]
    public async Task ListAsync_DotFilesAndDirectories_AreListedLikeAnyOtherKey()
    {
        // .NET skips "hidden" entries by default, and on Unix every dot-name counts as hidden.
        await _store.PutTextAsync(".metadata/schema.json", "{}");
        await _store.PutTextAsync("raw/.checkpoint", "{}");

        Assert.Equal([".metadata/schema.json", "raw/.checkpoint"], await _store.ListKeysAsync(""));
    }

    [Fact]
    public async Task OpenReadAsync_ObjectReplacedWhileOpen_ReaderKeepsVersionItOpened()
    {
        await _store.PutTextAsync("raw/a.ndjson", "first version");
        await using Stream reader = await _store.OpenReadAsync("raw/a.ndjson");

        await _store.PutTextAsync("raw/a.ndjson", "second version");

        using var text = new StreamReader(reader);
        Assert.Equal("first version", await text.ReadToEndAsync());
        Assert.Equal("second version", await _store.ReadAllTextAsync("raw/a.ndjson"));
    }
}
