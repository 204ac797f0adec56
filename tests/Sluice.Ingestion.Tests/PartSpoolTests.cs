using System.Text;
using Sluice.Ingestion.Landing;
using Sluice.Ingestion.Storage;
using Sluice.ObjectStore;

namespace Sluice.Ingestion.Tests;

/// <summary>The spool a job writes its parts through, constructed directly on a real local store and data directory.</summary>
public sealed class PartSpoolTests : IDisposable
{
    private const string KeyPrefix = "raw/s/ingest_date=2026-12-02/job";
    private const string First = """{"id":1,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}""";
    private const string Second = """{"id":2,"pad":"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"}""";
    private const string Third = """{"id":3,"pad":"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"}""";

    private readonly TestDirectories _directories = new();

    public void Dispose() => _directories.Dispose();

    private string SpoolDirectory => Path.Combine(_directories.Data, "spool", "job");

    private static void Append(PartSpool spool, string record) => spool.Append(Encoding.UTF8.GetBytes(record + "\n"), 1);

    private string[] Landed(LandedPart part) => File.ReadAllLines(Path.Combine(_directories.Objects, part.Key));

    [Fact]
    public async Task Reopen_CrashAfterARollBeforeItsCheckpoint_ResumesFromTheCheckpointBefore()
    {
        var objects = new LocalDirectoryObjectStore(_directories.Objects);
        long checkpointBytes, checkpointRecords;
        await using (var spool = new PartSpool(objects, SpoolDirectory, KeyPrefix, 100, [], 0, 0))
        {
            // Page 1 is appended and checkpointed below the roll size...
            Append(spool, First);
            await spool.CommitAsync(final: false, CancellationToken.None);
            (checkpointBytes, checkpointRecords) = (spool.Bytes, spool.Records);
            // ...page 2 makes the part roll; the process dies before that checkpoint is saved.
            Append(spool, Second);
            await spool.CommitAsync(final: false, CancellationToken.None);
            Assert.Equal(new PendingPart(2, checkpointBytes * 2), spool.Pending);
        }

        // The restart reopens at the checkpoint of page 1: its bytes are back, page 2 is fetched again.
        await using var resumed = new PartSpool(objects, SpoolDirectory, KeyPrefix, 100, [], checkpointBytes, checkpointRecords);
        Assert.Equal(checkpointBytes, resumed.Bytes);
        Append(resumed, Second);
        await resumed.CommitAsync(final: true, CancellationToken.None);

        var part = Assert.Single(resumed.Parts);
        Assert.Equal(KeyPrefix + "/part-00000.ndjson", part.Key);
        Assert.Equal([First, Second], Landed(part));
        Assert.Equal(2, part.Records);
        Assert.Null(resumed.Pending);
    }

    [Fact]
    public async Task Reopen_CrashAfterARolledPartLandedBeforeItsCheckpoint_LeavesThatObjectUntouchedUntilItIsPutAgain()
    {
        // The local store links a spool file into place, so the reopen must not cut back or append to
        // a spool file that already is a landed object.
        var objects = new LocalDirectoryObjectStore(_directories.Objects);
        long checkpointBytes, checkpointRecords;
        LandedPart landed;
        await using (var spool = new PartSpool(objects, SpoolDirectory, KeyPrefix, 100, [], 0, 0))
        {
            Append(spool, First);
            await spool.CommitAsync(final: false, CancellationToken.None);
            (checkpointBytes, checkpointRecords) = (spool.Bytes, spool.Records);
            Append(spool, Second);
            await spool.CommitAsync(final: false, CancellationToken.None);
            // Nothing new to roll: this only waits for the rolled part to land.
            await spool.CommitAsync(final: true, CancellationToken.None);
            landed = Assert.Single(spool.Parts);
        }

        await using var resumed = new PartSpool(objects, SpoolDirectory, KeyPrefix, 100, [], checkpointBytes, checkpointRecords);
        Assert.Equal([First, Second], Landed(landed));
        Append(resumed, Third);
        await resumed.CommitAsync(final: false, CancellationToken.None);
        Assert.Equal([First, Second], Landed(landed));

        await resumed.CommitAsync(final: true, CancellationToken.None);
        var part = Assert.Single(resumed.Parts);
        Assert.Equal(landed.Key, part.Key);
        Assert.Equal([First, Third], Landed(part));
        Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(_directories.Objects, part.Key)))),
            part.Sha256);
    }

    [Fact]
    public async Task Reopen_CheckpointWithAPendingUpload_PutsThatPartAgainAndGoesOn()
    {
        var objects = new LocalDirectoryObjectStore(_directories.Objects);
        PendingPart pending;
        await using (var spool = new PartSpool(objects, SpoolDirectory, KeyPrefix, 100, [], 0, 0))
        {
            Append(spool, First);
            Append(spool, Second);
            await spool.CommitAsync(final: false, CancellationToken.None);
            // The checkpoint saved now holds the rolled part as pending; then the process dies.
            pending = Assert.IsType<PendingPart>(spool.Pending);
            Assert.Empty(spool.Parts);
            Assert.Equal(0, spool.Bytes);
        }
        // Whether or not the upload got through before the crash, the restart must not depend on it.
        foreach (var landed in Directory.EnumerateFiles(_directories.Objects, "*.ndjson", SearchOption.AllDirectories))
        {
            File.Delete(landed);
        }

        await using var resumed = new PartSpool(objects, SpoolDirectory, KeyPrefix, 100, [], 0, 0, pending);
        Append(resumed, Third);
        await resumed.CommitAsync(final: true, CancellationToken.None);
        resumed.Checkpointed();

        Assert.Equal([KeyPrefix + "/part-00000.ndjson", KeyPrefix + "/part-00001.ndjson"], resumed.Parts.Select(p => p.Key));
        Assert.Equal([First, Second], Landed(resumed.Parts[0]));
        Assert.Equal([Third], Landed(resumed.Parts[1]));
        Assert.Equal([2L, 1L], resumed.Parts.Select(p => p.Records));
        Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(_directories.Objects, resumed.Parts[0].Key)))),
            resumed.Parts[0].Sha256);
        // The spool files of landed parts are gone once a checkpoint holds them.
        Assert.Equal(["part-00002.ndjson"], Directory.EnumerateFiles(SpoolDirectory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Reopen_PendingPartsSpoolFileShorterThanItsCheckpoint_RefusesNamingTheFile()
    {
        var objects = new LocalDirectoryObjectStore(_directories.Objects);
        Directory.CreateDirectory(SpoolDirectory);
        await File.WriteAllTextAsync(Path.Combine(SpoolDirectory, "part-00000.ndjson"), First + "\n");

        var refused = Assert.Throws<InvalidDataException>(() => new PartSpool(objects, SpoolDirectory, KeyPrefix, 100, [], 0, 0, new PendingPart(2, 1000)));
        Assert.Contains("part-00000.ndjson", refused.Message);
    }
}
