using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Sluice.Ingestion.Storage;

/// <summary>A push stream as stored.</summary>
internal sealed record StoredStream(string Name, int ShardCount, string DestinationPrefix, string? Ruleset, DateTimeOffset CreatedAt);

/// <summary>
/// One landed part of a shard: the checkpoint of the shard's landing. A shard's log segments up to
/// the highest landed one are in the lake; the rest are landed next.
/// </summary>
internal sealed record StreamPart(string Stream, int Shard, long Segment, string Key, string ManifestKey, long FirstSequence, long Records, long Bytes, string Sha256, bool Published);

/// <summary>Push streams and the landing checkpoints of their shards.</summary>
internal sealed partial class IngestionStore
{
    private void CreateStreamTables() => Execute("""
        CREATE TABLE IF NOT EXISTS streams (
          name TEXT PRIMARY KEY, shard_count INTEGER NOT NULL, prefix TEXT NOT NULL, ruleset TEXT, created_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS stream_parts (
          stream TEXT NOT NULL, shard INTEGER NOT NULL, segment INTEGER NOT NULL, key TEXT NOT NULL, manifest TEXT NOT NULL,
          first_seq INTEGER NOT NULL, records INTEGER NOT NULL, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, published INTEGER NOT NULL,
          PRIMARY KEY (stream, shard, segment));
        """);

    /// <summary>Inserts a stream; false when the name is taken.</summary>
    public bool InsertStream(StoredStream stream)
    {
        lock (_gate)
        {
            using var command = Command("INSERT OR IGNORE INTO streams(name, shard_count, prefix, ruleset, created_at) VALUES ($name, $shards, $prefix, $ruleset, $created)",
                ("$name", stream.Name), ("$shards", stream.ShardCount), ("$prefix", stream.DestinationPrefix), ("$ruleset", stream.Ruleset), ("$created", Time(stream.CreatedAt)));
            return command.ExecuteNonQuery() == 1;
        }
    }

    /// <summary>Removes a stream and its checkpoints in one transaction.</summary>
    public bool DeleteStream(string name)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using var parts = Command("DELETE FROM stream_parts WHERE stream = $name", ("$name", name));
            parts.Transaction = transaction;
            parts.ExecuteNonQuery();
            using var stream = Command("DELETE FROM streams WHERE name = $name", ("$name", name));
            stream.Transaction = transaction;
            var deleted = stream.ExecuteNonQuery() == 1;
            transaction.Commit();
            return deleted;
        }
    }

    public StoredStream? GetStream(string name)
    {
        lock (_gate)
        {
            using var command = Command("SELECT name, shard_count, prefix, ruleset, created_at FROM streams WHERE name = $name", ("$name", name));
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadStream(reader) : null;
        }
    }

    /// <summary>Streams after <paramref name="after"/> in name order.</summary>
    public IReadOnlyList<StoredStream> ListStreams(string after, int limit)
    {
        lock (_gate)
        {
            using var command = Command("SELECT name, shard_count, prefix, ruleset, created_at FROM streams WHERE name > $after ORDER BY name LIMIT $limit",
                ("$after", after), ("$limit", limit));
            using var reader = command.ExecuteReader();
            var list = new List<StoredStream>();
            while (reader.Read())
            {
                list.Add(ReadStream(reader));
            }
            return list;
        }
    }

    /// <summary>Records a landed part (the shard's checkpoint); landing the same segment again changes nothing.</summary>
    public void InsertStreamPart(StreamPart part)
    {
        lock (_gate)
        {
            using var command = Command("""
                INSERT OR IGNORE INTO stream_parts(stream, shard, segment, key, manifest, first_seq, records, bytes, sha256, published)
                VALUES ($stream, $shard, $segment, $key, $manifest, $first, $records, $bytes, $sha, 0)
                """,
                ("$stream", part.Stream), ("$shard", part.Shard), ("$segment", part.Segment), ("$key", part.Key), ("$manifest", part.ManifestKey),
                ("$first", part.FirstSequence), ("$records", part.Records), ("$bytes", part.Bytes), ("$sha", part.Sha256));
            command.ExecuteNonQuery();
        }
    }

    public void MarkStreamPartPublished(string stream, int shard, long segment)
    {
        lock (_gate)
        {
            using var command = Command("UPDATE stream_parts SET published = 1 WHERE stream = $stream AND shard = $shard AND segment = $segment",
                ("$stream", stream), ("$shard", shard), ("$segment", segment));
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Per shard of a stream: the highest landed segment, the records landed, and the parts.</summary>
    public IReadOnlyDictionary<int, (long LastSegment, long LastSequence, long Records, int Parts)> StreamCheckpoints(string stream)
    {
        lock (_gate)
        {
            using var command = Command("SELECT shard, MAX(segment), MAX(first_seq + records), SUM(records), COUNT(*) FROM stream_parts WHERE stream = $stream GROUP BY shard",
                ("$stream", stream));
            using var reader = command.ExecuteReader();
            var result = new Dictionary<int, (long, long, long, int)>();
            while (reader.Read())
            {
                result[reader.GetInt32(0)] = (reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt32(4));
            }
            return result;
        }
    }

    /// <summary>Landed parts whose DatasetLanded has not gone out yet, in landing order.</summary>
    public IReadOnlyList<StreamPart> UnpublishedStreamParts()
    {
        lock (_gate)
        {
            using var command = Command("SELECT stream, shard, segment, key, manifest, first_seq, records, bytes, sha256, published FROM stream_parts WHERE published = 0 ORDER BY stream, shard, segment");
            using var reader = command.ExecuteReader();
            var list = new List<StreamPart>();
            while (reader.Read())
            {
                list.Add(new StreamPart(reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4),
                    reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetString(8), reader.GetInt64(9) != 0));
            }
            return list;
        }
    }

    private static StoredStream ReadStream(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
        DateTimeOffset.Parse(reader.GetString(4), CultureInfo.InvariantCulture));
}
