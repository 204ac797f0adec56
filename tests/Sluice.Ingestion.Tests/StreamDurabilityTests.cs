using Sluice.Ingestion.Streams;

namespace Sluice.Ingestion.Tests;

/// <summary>The directory sync that makes a new log segment's name survive a crash, run against the real file system.</summary>
public sealed class StreamDurabilityTests : IDisposable
{
    private readonly TestDirectories _directories = new();

    public void Dispose() => _directories.Dispose();

    [Fact]
    public void CreateDurably_MissingParents_CreatesAndSyncsEachLevel()
    {
        var shard = Path.Combine(_directories.Root, "streams", "clicks", "0");

        DirectorySync.CreateDurably(shard);
        DirectorySync.Flush(shard);

        Assert.True(Directory.Exists(shard));
    }

    [Fact]
    public void Flush_MissingDirectory_FailsNamingIt()
    {
        var missing = Path.Combine(_directories.Root, "not-there");

        var error = Assert.Throws<IOException>(() => DirectorySync.Flush(missing));

        Assert.Contains($"The directory {missing} could not be opened to sync it (errno ", error.Message);
    }
}
