using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Options;
using Sluice.Contracts.Messages;
using Sluice.Ingestion.Landing;
using Sluice.Ingestion.Messaging;
using Sluice.Ingestion.Storage;
using Sluice.ObjectStore;

namespace Sluice.Ingestion.Streams;

/// <summary>
/// Lands a stream's closed log segments in the raw zone, shard by shard and in order: each segment
/// becomes one part and a manifest under
/// {prefix}/{stream}/ingest_date=YYYY-MM-DD/{landing id}/part-00000.ndjson, where the landing id is
/// derived from (stream, shard, segment). Keys being deterministic, a segment landed again after a
/// crash (before its checkpoint) overwrites the same objects with the same bytes, so every record
/// is in the lake exactly once. The checkpoint (the part's row) is written, then the segment is
/// deleted, then DatasetLanded is published (again at the next start if that failed). Each landed
/// part is also a job (trigger STREAM, id = landing id) that the pipeline's events move on.
/// </summary>
internal sealed class StreamLanding(
    StreamRegistry streams,
    IngestionStore store,
    IObjectStore objects,
    IBus bus,
    RulesetSync rulesets,
    IOptions<IngestionOptions> options,
    TimeProvider time,
    ILogger<StreamLanding> logger)
{
    /// <summary>Closes the segments that are due (all of them when <paramref name="force"/>), lands every closed one, and publishes their landing.</summary>
    public async Task LandAsync(StreamRuntime stream, bool force, CancellationToken cancellationToken)
    {
        var settings = options.Value.Streams;
        await stream.LandingGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (stream.Removed)
            {
                return;
            }
            foreach (var log in stream.Logs)
            {
                await log.RotateIfDueAsync(settings.PartBytes, settings.PartMaxAge, force, cancellationToken).ConfigureAwait(false);
                foreach (var segment in log.ClosedSegments())
                {
                    await LandSegmentAsync(stream, segment, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            stream.LandingGate.Release();
        }
        await PublishAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>DeleteStream: no more records are admitted, everything acknowledged lands, then the stream is removed.</summary>
    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var stream = streams.Get(name);
        stream.Deleted = true;
        await LandAsync(stream, force: true, cancellationToken).ConfigureAwait(false);
        await stream.LandingGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            streams.Remove(stream);
        }
        finally
        {
            stream.LandingGate.Release();
        }
    }

    // One publisher at a time (the flusher's, DeleteStream's), so no landing is announced twice.
    private readonly SemaphoreSlim _publishing = new(1, 1);

    /// <summary>Publishes DatasetLanded for every landed part that has not had it (also those of a previous run).</summary>
    public async Task PublishAsync(CancellationToken cancellationToken)
    {
        await _publishing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await PublishUnannouncedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _publishing.Release();
        }
    }

    private async Task PublishUnannouncedAsync(CancellationToken cancellationToken)
    {
        foreach (var part in store.UnpublishedStreamParts())
        {
            if (store.GetStream(part.Stream) is { Ruleset: { Length: > 0 } ruleset })
            {
                // Without its ruleset the dataset would be judged by another one, or by none.
                await rulesets.EnsureAsync(part.Stream, ruleset, cancellationToken).ConfigureAwait(false);
            }
            await bus.Publish(new DatasetLanded
            {
                JobId = LandingId(part.Stream, part.Shard, part.Segment),
                Source = part.Stream,
                ObjectKeys = [part.Key],
                RecordCount = part.Records,
                LandedAt = time.GetUtcNow(),
            }, cancellationToken).ConfigureAwait(false);
            store.MarkStreamPartPublished(part.Stream, part.Shard, part.Segment);
        }
    }

    private async Task LandSegmentAsync(StreamRuntime stream, LogSegment segment, CancellationToken cancellationToken)
    {
        var landingId = LandingId(stream.Name, segment.Shard, segment.Segment);
        var folder = $"{stream.Definition.DestinationPrefix}/{stream.Name}/ingest_date={segment.IngestDate}/{landingId}";
        var key = folder + "/part-00000.ndjson";
        var manifestKey = folder + "/manifest.json";
        long bytes, records;
        string checksum;
        await using (var file = new FileStream(segment.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
        {
            // A segment abandoned after a failed sync may end in a torn line that was never acknowledged.
            (bytes, records) = ShardLog.WholeLines(file);
            if (bytes < file.Length)
            {
                file.SetLength(bytes);
            }
            file.Position = 0;
            checksum = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false));
        }
        // Closed segments are never written again (a restart copies the last one before appending),
        // so the local store may link the file rather than copy it.
        await objects.PutFileAsync(key, segment.Path, "application/x-ndjson", cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var shardId = ShardHash.ShardId(segment.Shard);
        var manifest = new Manifest
        {
            JobId = landingId,
            Source = stream.Name,
            Parts = [new ManifestPart(key, records, bytes, checksum)],
            Records = records,
            Bytes = bytes,
            CreatedAt = now,
            LandedAt = now,
            ShardId = shardId,
            FirstSequenceNumber = records == 0 ? null : ShardHash.SequenceNumber(segment.Shard, segment.FirstSequence),
            LastSequenceNumber = records == 0 ? null : ShardHash.SequenceNumber(segment.Shard, segment.FirstSequence + records - 1),
        };
        using (var content = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(manifest, Manifest.Json)))
        {
            await objects.PutAsync(manifestKey, content, "application/json", cancellationToken).ConfigureAwait(false);
        }
        // The landing as a job, so WatchJob follows it through the pipeline. Its DatasetLanded is the
        // stream's to publish (below), hence LandedPublished; a landing made again after a crash
        // finds its job already there.
        store.InsertJob(new JobRecord
        {
            JobId = landingId,
            Source = stream.Name,
            State = V1.JobState.Succeeded,
            Phase = V1.JobPhase.Landed,
            Trigger = V1.JobTrigger.Stream,
            CreatedAt = now,
            UpdatedAt = now,
            IngestDate = segment.IngestDate,
            Records = records,
            Bytes = bytes,
            Parts = [new LandedPart(key, records, bytes, checksum)],
            ManifestKey = manifestKey,
            LandedPublished = true,
        });
        store.InsertStreamPart(new StreamPart(stream.Name, segment.Shard, segment.Segment, key, manifestKey, segment.FirstSequence, records, bytes, checksum, false));
        File.Delete(segment.Path);
        IngestionLog.StreamPartLanded(logger, stream.Name, shardId, records, key);
    }

    /// <summary>A UUID named by (stream, shard, segment): the same segment always lands under the same keys.</summary>
    internal static string LandingId(string stream, int shard, long segment)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"sluice-stream/{stream}/{shard}/{segment}"));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50); // Version 5 (name-based), as RFC 4122 lays it out.
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString("D");
    }
}
