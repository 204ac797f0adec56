using System.Text;
using Sluice.ObjectStore.Tests.Infrastructure;

namespace Sluice.ObjectStore.Tests;

/// <summary>
/// What every <see cref="IObjectStore"/> promises, run once per implementation. Each test gets an
/// empty store of its own.
/// </summary>
public abstract class ObjectStoreContractTests : IAsyncLifetime
{
    private const int Megabyte = 1024 * 1024;

    // Bounds for waits on conditions; generous because the machine is shared, and never a measure of speed.
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    private IObjectStore? _store;

    protected IObjectStore Store => _store ?? throw new InvalidOperationException("The store is created in InitializeAsync.");

    /// <summary>A fresh view of the same (initially empty) store space, listing <paramref name="listPageSize"/> keys per request where the store pages.</summary>
    protected abstract IObjectStore CreateStore(int listPageSize);

    public virtual Task InitializeAsync()
    {
        _store = CreateStore(listPageSize: 1000);
        return Task.CompletedTask;
    }

    public virtual Task DisposeAsync()
    {
        (_store as IDisposable)?.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task PutAsync_MultiMegabyteNonSeekableStream_RoundTripsEveryByte()
    {
        const long length = (24L * Megabyte) + 12_345;
        const string key = "raw/orders/ingest_date=2026-11-21/job-1/part-00000.ndjson";

        await Store.PutAsync(key, new PatternStream(length, seed: 1), "application/x-ndjson");

        Assert.Equal(await ObjectStoreAssertions.HashPatternAsync(length, seed: 1), await Store.HashObjectAsync(key));
        Assert.Equal(length, (await Store.TryGetInfoAsync(key))!.Size);
    }

    [Fact]
    public async Task PutFileAsync_MultiMegabyteFile_RoundTripsEveryByteAndLeavesTheFile()
    {
        const long length = (19L * Megabyte) + 4_321;
        const string key = "raw/orders/ingest_date=2026-11-21/job-2/part-00000.ndjson";
        string path = Path.Combine(Path.GetTempPath(), $"sluice-object-store-file-{Guid.NewGuid():N}.ndjson");
        try
        {
            await using (var file = File.Create(path))
            {
                await new PatternStream(length, seed: 11).CopyToAsync(file);
            }

            await Store.PutFileAsync(key, path, "application/x-ndjson");

            var expected = await ObjectStoreAssertions.HashPatternAsync(length, seed: 11);
            Assert.Equal(expected, await Store.HashObjectAsync(key));
            Assert.Equal(length, (await Store.TryGetInfoAsync(key))!.Size);
            await using var left = File.OpenRead(path);
            Assert.Equal(expected, await ObjectStoreAssertions.HashAsync(left));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task PutFileAsync_SmallFileOverAnExistingObject_ReplacesIt()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sluice-object-store-small-{Guid.NewGuid():N}.json");
        try
        {
            await Store.PutTextAsync("state/cursor.json", "{\"page\":1,\"padding\":\"xxxxxxxx\"}");
            await File.WriteAllTextAsync(path, "{\"page\":2}");

            await Store.PutFileAsync("state/cursor.json", path, "application/json");

            Assert.Equal("{\"page\":2}", await Store.ReadAllTextAsync("state/cursor.json"));
            Assert.Equal(10, (await Store.TryGetInfoAsync("state/cursor.json"))!.Size);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task PutFileAsync_MissingFile_ThrowsFileNotFoundAndStoresNothing()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sluice-object-store-missing-{Guid.NewGuid():N}.ndjson");

        await Assert.ThrowsAsync<FileNotFoundException>(() => Store.PutFileAsync("raw/missing.ndjson", path));

        Assert.False(await Store.ExistsAsync("raw/missing.ndjson"));
    }

    [Fact]
    public async Task PutAsync_SeekableStreamPositionedMidway_StoresFromCurrentPosition()
    {
        var content = new MemoryStream(Encoding.UTF8.GetBytes("HEADER|payload"));
        content.Position = "HEADER|".Length;

        await Store.PutAsync("data/payload.txt", content);

        Assert.Equal("payload", await Store.ReadAllTextAsync("data/payload.txt"));
    }

    [Fact]
    public async Task PutAsync_EmptyStream_StoresEmptyObject()
    {
        await Store.PutAsync("markers/_SUCCESS", new MemoryStream());

        Assert.Empty(await Store.ReadAllBytesAsync("markers/_SUCCESS"));
        Assert.Equal(0, (await Store.TryGetInfoAsync("markers/_SUCCESS"))!.Size);
    }

    [Fact]
    public async Task PutAsync_ExistingKey_ReplacesContentAndSize()
    {
        await Store.PutTextAsync("state/cursor.json", "{\"page\":1,\"padding\":\"xxxxxxxx\"}");

        await Store.PutTextAsync("state/cursor.json", "{\"page\":2}");

        Assert.Equal("{\"page\":2}", await Store.ReadAllTextAsync("state/cursor.json"));
        Assert.Equal(10, (await Store.TryGetInfoAsync("state/cursor.json"))!.Size);
        Assert.Equal(["state/cursor.json"], await Store.ListKeysAsync(""));
    }

    [Fact]
    public async Task PutAsync_Completes_LeavesCallerStreamOpen()
    {
        var content = new MemoryStream(Encoding.UTF8.GetBytes("abc"));

        await Store.PutAsync("a/b.txt", content);

        Assert.True(content.CanRead, "The store disposed a stream it does not own.");
        Assert.Equal(3, content.Position);
    }

    [Fact]
    public async Task PutAsync_WhileContentStillStreaming_ReadersSeePreviousVersion()
    {
        const string key = "raw/orders/part-00000.ndjson";
        const long newLength = 7L * Megabyte;
        await Store.PutTextAsync(key, "old version");
        var content = new GatedStream(new PatternStream(newLength, seed: 2), gateAt: 6L * Megabyte);

        Task put = Store.PutAsync(key, content);
        await content.ReachedGate.WaitAsync(WaitLimit);

        Assert.Equal("old version", await Store.ReadAllTextAsync(key));
        Assert.Equal(11, (await Store.TryGetInfoAsync(key))!.Size);

        content.Open();
        await put.WaitAsync(WaitLimit);
        Assert.Equal(await ObjectStoreAssertions.HashPatternAsync(newLength, seed: 2), await Store.HashObjectAsync(key));
    }

    [Fact]
    public async Task PutAsync_NewKeyWhileContentStillStreaming_ObjectDoesNotExistYet()
    {
        const string key = "raw/new/part-00000.ndjson";
        var content = new GatedStream(new PatternStream(7L * Megabyte, seed: 3), gateAt: 6L * Megabyte);

        Task put = Store.PutAsync(key, content);
        await content.ReachedGate.WaitAsync(WaitLimit);

        Assert.False(await Store.ExistsAsync(key));
        Assert.Empty(await Store.ListKeysAsync("raw/"));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.OpenReadAsync(key));

        content.Open();
        await put.WaitAsync(WaitLimit);
        Assert.True(await Store.ExistsAsync(key));
    }

    [Fact]
    public async Task PutAsync_CancelledMidStream_KeepsPreviousVersionAndAddsNothing()
    {
        const string key = "raw/orders/part-00000.ndjson";
        await Store.PutTextAsync(key, "old version");
        var content = new GatedStream(new PatternStream(7L * Megabyte, seed: 4), gateAt: 6L * Megabyte);
        using var cancellation = new CancellationTokenSource();

        Task put = Store.PutAsync(key, content, cancellationToken: cancellation.Token);
        await content.ReachedGate.WaitAsync(WaitLimit);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => put.WaitAsync(WaitLimit));
        Assert.Equal("old version", await Store.ReadAllTextAsync(key));
        Assert.Equal([key], await Store.ListKeysAsync(""));
    }

    [Fact]
    public async Task PutAsync_ConcurrentWritersToSameKey_OneWholeVersionWins()
    {
        const string key = "shared/object.bin";
        const long length = 6L * Megabyte;
        int[] seeds = [11, 12, 13, 14];

        await Task.WhenAll(seeds.Select(seed => Task.Run(() => Store.PutAsync(key, new PatternStream(length, seed)))));

        (string Hash, long Length) stored = await Store.HashObjectAsync(key);
        var candidates = new List<(string Hash, long Length)>();
        foreach (int seed in seeds)
        {
            candidates.Add(await ObjectStoreAssertions.HashPatternAsync(length, seed));
        }

        Assert.Contains(stored, candidates);
        Assert.Equal([key], await Store.ListKeysAsync(""));
    }

    [Fact]
    public async Task PutAsync_ConcurrentWritersToDistinctKeys_StoresEveryObject()
    {
        string[] keys = Enumerable.Range(0, 32).Select(i => $"raw/events/part-{i:D5}.ndjson").ToArray();

        await Task.WhenAll(keys.Select(key => Task.Run(() => Store.PutTextAsync(key, $"content of {key}"))));

        Assert.Equal(keys, await Store.ListKeysAsync("raw/events/"));
        foreach (string key in keys)
        {
            Assert.Equal($"content of {key}", await Store.ReadAllTextAsync(key));
        }
    }

    [Fact]
    public async Task PutAsync_KeyWithUnicodeAndPunctuation_RoundTripsAndListsUnchanged()
    {
        const string key = "raw/ünïcødé 𝄞/a b+c=d&e%20(1)~!@$,;'.ndjson";

        await Store.PutTextAsync(key, "{\"ok\":true}");

        Assert.Equal("{\"ok\":true}", await Store.ReadAllTextAsync(key));
        Assert.Equal([key], await Store.ListKeysAsync("raw/ünïcødé"));
    }

    [Fact]
    public async Task OpenReadAsync_MissingKey_ThrowsObjectNotFoundException()
    {
        var error = await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.OpenReadAsync("raw/missing.ndjson"));

        Assert.Equal("raw/missing.ndjson", error.Key);
        Assert.Contains("raw/missing.ndjson", error.Message);
    }

    [Fact]
    public async Task OpenReadAsync_KeyThatIsOnlyAPrefixOfOtherKeys_ThrowsObjectNotFoundException()
    {
        await Store.PutTextAsync("raw/orders/part-00000.ndjson", "{}");

        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.OpenReadAsync("raw/orders"));
        Assert.Null(await Store.TryGetInfoAsync("raw/orders"));
    }

    [Fact]
    public async Task TryGetInfoAsync_ExistingKey_ReturnsKeySizeAndLastModified()
    {
        DateTimeOffset before = DateTimeOffset.UtcNow.AddSeconds(-5);
        await Store.PutTextAsync("raw/a.ndjson", "12345");
        DateTimeOffset after = DateTimeOffset.UtcNow.AddSeconds(5);

        ObjectInfo? info = await Store.TryGetInfoAsync("raw/a.ndjson");

        Assert.NotNull(info);
        Assert.Equal("raw/a.ndjson", info.Key);
        Assert.Equal(5, info.Size);
        Assert.InRange(info.LastModified, before, after);
        Assert.Equal(TimeSpan.Zero, info.LastModified.Offset);
    }

    [Fact]
    public async Task TryGetInfoAsync_MissingKey_ReturnsNull()
    {
        Assert.Null(await Store.TryGetInfoAsync("raw/missing.ndjson"));
    }

    [Fact]
    public async Task ExistsAsync_ExistingAndMissingKeys_TellsThemApart()
    {
        await Store.PutTextAsync("raw/present.ndjson", "{}");

        Assert.True(await Store.ExistsAsync("raw/present.ndjson"));
        Assert.False(await Store.ExistsAsync("raw/absent.ndjson"));
    }

    [Fact]
    public async Task DeleteAsync_ExistingKey_RemovesItFromReadsAndListings()
    {
        await Store.PutTextAsync("raw/a/part-00000.ndjson", "a");
        await Store.PutTextAsync("raw/a/part-00001.ndjson", "b");

        await Store.DeleteAsync("raw/a/part-00000.ndjson");

        Assert.False(await Store.ExistsAsync("raw/a/part-00000.ndjson"));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.OpenReadAsync("raw/a/part-00000.ndjson"));
        Assert.Equal(["raw/a/part-00001.ndjson"], await Store.ListKeysAsync(""));
        Assert.Equal("b", await Store.ReadAllTextAsync("raw/a/part-00001.ndjson"));
    }

    [Fact]
    public async Task DeleteAsync_MissingKey_Succeeds()
    {
        await Store.DeleteAsync("raw/never-written.ndjson");

        Assert.False(await Store.ExistsAsync("raw/never-written.ndjson"));
    }

    [Fact]
    public async Task DeleteAsync_ThenPutSameKey_StoresNewObject()
    {
        await Store.PutTextAsync("raw/a/b/c.ndjson", "first");
        await Store.DeleteAsync("raw/a/b/c.ndjson");

        await Store.PutTextAsync("raw/a/b/c.ndjson", "second");

        Assert.Equal("second", await Store.ReadAllTextAsync("raw/a/b/c.ndjson"));
    }

    [Fact]
    public async Task ListAsync_DirectoryStylePrefix_ReturnsOnlyKeysUnderIt()
    {
        await PutAllAsync(
            "raw/orders/ingest_date=2026-11-20/j1/part-00000.ndjson",
            "raw/orders/ingest_date=2026-11-21/j2/part-00000.ndjson",
            "raw/orders/ingest_date=2026-11-21/j2/manifest.json",
            "raw/orders-archive/part-00000.ndjson",
            "raw/customers/part-00000.ndjson",
            "curated/orders/part-00000.ndjson");

        Assert.Equal(
            [
                "raw/orders/ingest_date=2026-11-20/j1/part-00000.ndjson",
                "raw/orders/ingest_date=2026-11-21/j2/manifest.json",
                "raw/orders/ingest_date=2026-11-21/j2/part-00000.ndjson",
            ],
            await Store.ListKeysAsync("raw/orders/"));
    }

    [Fact]
    public async Task ListAsync_PartialSegmentPrefix_MatchesAsPlainString()
    {
        await PutAllAsync(
            "raw/orders/ingest_date=2026-11-19/part-00000.ndjson",
            "raw/orders/ingest_date=2026-11-20/part-00000.ndjson",
            "raw/orders/ingest_date=2026-11-21/part-00000.ndjson",
            "raw/orders-archive/part-00000.ndjson",
            "raw/customers/part-00000.ndjson");

        Assert.Equal(
            ["raw/orders-archive/part-00000.ndjson", "raw/orders/ingest_date=2026-11-19/part-00000.ndjson",
             "raw/orders/ingest_date=2026-11-20/part-00000.ndjson", "raw/orders/ingest_date=2026-11-21/part-00000.ndjson"],
            await Store.ListKeysAsync("raw/ord"));
        Assert.Equal(
            ["raw/orders/ingest_date=2026-11-20/part-00000.ndjson", "raw/orders/ingest_date=2026-11-21/part-00000.ndjson"],
            await Store.ListKeysAsync("raw/orders/ingest_date=2026-11-2"));
        Assert.Equal(["raw/customers/part-00000.ndjson"], await Store.ListKeysAsync("raw/customers/part-00000.ndjson"));
    }

    [Fact]
    public async Task ListAsync_EmptyPrefix_ReturnsEveryKeyInUtf8ByteOrder()
    {
        // '-' < '.' < '/' < '0' < 'b' in UTF-8, and U+FF61 < U+1D11E although its UTF-16 form sorts
        // after the surrogate pair's: the order must be S3's, byte-wise UTF-8.
        string[] expected = ["a-c", "a.b", "a/b", "a/b0", "a0", "ab", "z/\uFF61", "z/\U0001D11E"];
        await PutAllAsync([.. expected.Reverse()]);

        Assert.Equal(expected, await Store.ListKeysAsync(""));
    }

    [Fact]
    public async Task ListAsync_PrefixMatchingNothing_ReturnsNoObjects()
    {
        await PutAllAsync("raw/orders/part-00000.ndjson");

        Assert.Empty(await Store.ListKeysAsync("raw/payments/"));
        Assert.Empty(await Store.ListKeysAsync("raw/orders/part-00000.ndjson.gz"));
        Assert.Empty(await Store.ListKeysAsync("zzz"));
    }

    [Fact]
    public async Task ListAsync_ObjectsOfDifferentSizes_ReportsEachSize()
    {
        await Store.PutTextAsync("sizes/one", "1");
        await Store.PutTextAsync("sizes/three", "333");
        await Store.PutAsync("sizes/zero", new MemoryStream());

        List<ObjectInfo> items = await Store.ListAllAsync("sizes/");

        Assert.Equal([("sizes/one", 1L), ("sizes/three", 3L), ("sizes/zero", 0L)], items.Select(i => (i.Key, i.Size)));
    }

    [Fact]
    public async Task ListAsync_MoreKeysThanOneListingPage_ReturnsEveryKeyOnceInOrder()
    {
        // S3 returns at most 1000 keys per listing request, so this takes two.
        string[] keys = Enumerable.Range(0, 1_050).Select(i => $"raw/many/part-{i:D5}.ndjson").ToArray();
        await PutAllAsync(keys);

        Assert.Equal(keys, await Store.ListKeysAsync("raw/many/"));
    }

    [Fact]
    public async Task ListAsync_SmallListingPages_ReturnsEveryKeyOnceInOrder()
    {
        string[] keys = Enumerable.Range(0, 50).Select(i => $"raw/paged/{i % 3}/part-{i:D5}.ndjson").Order(StringComparer.Ordinal).ToArray();
        await PutAllAsync(keys);
        IObjectStore pagedStore = CreateStore(listPageSize: 7);
        try
        {
            Assert.Equal(keys, await pagedStore.ListKeysAsync("raw/paged/"));
        }
        finally
        {
            (pagedStore as IDisposable)?.Dispose();
        }
    }

    public static TheoryData<string> InvalidKeyCases => new(InvalidKeys.Cases.Keys);

    [Theory]
    [MemberData(nameof(InvalidKeyCases))]
    public async Task EveryOperation_InvalidKey_RejectedBeforeAnyIo(string caseName)
    {
        (string key, ObjectKeyProblem problem) = InvalidKeys.Cases[caseName];

        await AssertRejectedAsync(() => Store.PutAsync(key, new UnreadableStream()), problem);
        await AssertRejectedAsync(() => Store.OpenReadAsync(key), problem);
        await AssertRejectedAsync(() => Store.DeleteAsync(key), problem);
        await AssertRejectedAsync(() => Store.TryGetInfoAsync(key), problem);
        await AssertRejectedAsync(() => Store.ExistsAsync(key), problem);
        Assert.Empty(await Store.ListKeysAsync(""));
    }

    public static TheoryData<string> InvalidPrefixCases => new(InvalidKeys.PrefixCases.Keys);

    [Theory]
    [MemberData(nameof(InvalidPrefixCases))]
    public async Task ListAsync_InvalidPrefix_ThrowsInvalidObjectKeyException(string caseName)
    {
        (string prefix, ObjectKeyProblem problem) = InvalidKeys.PrefixCases[caseName];

        var error = await Assert.ThrowsAsync<InvalidObjectKeyException>(() => Store.ListKeysAsync(prefix));

        Assert.Equal(problem, error.Problem);
    }

    private static async Task AssertRejectedAsync(Func<Task> operation, ObjectKeyProblem problem)
    {
        var error = await Assert.ThrowsAsync<InvalidObjectKeyException>(operation);
        Assert.Equal(problem, error.Problem);
    }

    private async Task PutAllAsync(params string[] keys)
    {
        // Bounded parallelism keeps a thousand small writes quick without flooding the server.
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (key, _) => await Store.PutTextAsync(key, key));
    }
}
