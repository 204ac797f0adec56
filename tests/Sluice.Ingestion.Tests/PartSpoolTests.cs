using System.Text.Json;
using Sluice.Ingestion.Landing;
using Sluice.ObjectStore;

namespace Sluice.Ingestion.Tests;

/// <summary>The spool a job writes its parts through, constructed directly on a real local store and data directory.</summary>
public sealed class PartSpoolTests : IDisposable
{
    private readonly TestDirectories _directories = new();

    public void Dispose() => _directories.Dispose();

    [Fact]
    public async Task Reopen_CrashAfterARollBeforeItsCheckpoint_ResumesFromTheCheckpointBefore()
    {
        var objects = new LocalDirectoryObjectStore(_directories.Objects);
        var spoolDirectory = Path.Combine(_directories.Data, "spool", "job");
        var buffer = new MemoryStream();
        await using var writer = new Utf8JsonWriter(buffer);
        using var first = JsonDocument.Parse("""{"id":1,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}""");
        using var second = JsonDocument.Parse("""{"id":2,"pad":"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"}""");

        long checkpointBytes, checkpointRecords;
        await using (var spool = new PartSpool(objects, spoolDirectory, "raw/s/ingest_date=2026-12-02/job", 100, [], 0, 0))
        {
            // Page 1 is appended and checkpointed below the roll size...
            spool.Append(first.RootElement, writer, buffer);
            await spool.CommitAsync(final: false, CancellationToken.None);
            (checkpointBytes, checkpointRecords) = (spool.Bytes, spool.Records);
            // ...page 2 makes the part roll; the process dies before that checkpoint is saved.
            spool.Append(second.RootElement, writer, buffer);
            await spool.CommitAsync(final: false, CancellationToken.None);
            Assert.Single(spool.Parts);
        }

        // The restart reopens at the checkpoint of page 1: its bytes are back, page 2 is fetched again.
        await using var resumed = new PartSpool(objects, spoolDirectory, "raw/s/ingest_date=2026-12-02/job", 100, [], checkpointBytes, checkpointRecords);
        Assert.Equal(checkpointBytes, resumed.Bytes);
        resumed.Append(second.RootElement, writer, buffer);
        await resumed.CommitAsync(final: true, CancellationToken.None);

        var part = Assert.Single(resumed.Parts);
        Assert.Equal("raw/s/ingest_date=2026-12-02/job/part-00000.ndjson", part.Key);
        Assert.Equal([first.RootElement.GetRawText(), second.RootElement.GetRawText()], File.ReadAllLines(Path.Combine(_directories.Objects, part.Key)));
        Assert.Equal(2, part.Records);
    }
}
