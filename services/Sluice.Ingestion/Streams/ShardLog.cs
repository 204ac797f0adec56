using System.Globalization;

namespace Sluice.Ingestion.Streams;

/// <summary>A closed log segment of a shard, waiting to be landed.</summary>
internal sealed record LogSegment(int Shard, long Segment, long FirstSequence, string IngestDate, string Path);

/// <summary>
/// A shard's append-only log on local disk: NDJSON segments named
/// {segment}.{first sequence}.{ingest date}.ndjson in the shard's folder. Records are appended to
/// the current segment and made durable (fsync) once per batch before they are acknowledged. A
/// segment is closed when it is due to land; the flusher lands closed segments in order and
/// deletes them once their landing is checkpointed. The caller holds <see cref="Gate"/> around
/// every call except <see cref="ClosedSegments"/>.
/// </summary>
internal sealed class ShardLog : IDisposable
{
    private readonly string _directory;
    private readonly int _shard;
    private readonly TimeProvider _time;
    private FileStream? _current;
    private long _segment;
    private long _firstSequence;
    private long _openedAt;

    /// <summary>
    /// Opens a shard's log after a start: segments up to <paramref name="landedSegment"/> are in the
    /// lake and deleted; the last remaining one is reopened as the current segment, cut back to its
    /// last whole line (a torn tail was never acknowledged).
    /// </summary>
    public ShardLog(string directory, int shard, long landedSegment, long landedSequence, TimeProvider time)
    {
        _directory = directory;
        _shard = shard;
        _time = time;
        Directory.CreateDirectory(directory);
        _segment = landedSegment + 1;
        NextSequence = landedSequence;
        var remaining = new List<LogSegment>();
        foreach (var segment in List())
        {
            if (segment.Segment <= landedSegment)
            {
                File.Delete(segment.Path);
            }
            else
            {
                remaining.Add(segment);
            }
        }
        if (remaining.Count == 0)
        {
            return;
        }
        var last = remaining[^1];
        _current = new FileStream(last.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        var (length, lines) = WholeLines(_current);
        _current.SetLength(length);
        _current.Position = length;
        _segment = last.Segment;
        _firstSequence = last.FirstSequence;
        NextSequence = last.FirstSequence + lines;
        CurrentBytes = length;
        _openedAt = time.GetTimestamp();
    }

    /// <summary>Held while appending, syncing and rotating.</summary>
    public Lock Gate { get; } = new();

    /// <summary>The sequence position the next record gets (records appended since the stream was created).</summary>
    public long NextSequence { get; private set; }

    public long CurrentBytes { get; private set; }

    /// <summary>Appends one NDJSON line (ending in '\n'); returns its sequence position. Not durable until <see cref="Sync"/>.</summary>
    public long Append(ReadOnlySpan<byte> line)
    {
        if (_current is null)
        {
            _firstSequence = NextSequence;
            var date = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var path = Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture, $"{_segment:D12}.{_firstSequence:D20}.{date}.ndjson"));
            _current = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
            _openedAt = _time.GetTimestamp();
            CurrentBytes = 0;
        }
        _current.Write(line);
        CurrentBytes += line.Length;
        return NextSequence++;
    }

    /// <summary>Writes the appended records through to the disk (fsync).</summary>
    public void Sync() => _current?.Flush(flushToDisk: true);

    /// <summary>Forgets records appended since the last sync that failed (the file is cut back on the next start).</summary>
    public void Abandon()
    {
        var current = _current;
        _current = null;
        try
        {
            current?.Dispose();
        }
        catch (IOException)
        {
        }
        _segment++;
    }

    /// <summary>Closes the current segment when it holds records and is due (large or old enough, or <paramref name="force"/>); the next append starts a new one.</summary>
    public bool RotateIfDue(long partBytes, TimeSpan maxAge, bool force)
    {
        if (_current is null || CurrentBytes == 0)
        {
            return false;
        }
        if (!force && CurrentBytes < partBytes && _time.GetElapsedTime(_openedAt) < maxAge)
        {
            return false;
        }
        _current.Flush(flushToDisk: true);
        _current.Dispose();
        _current = null;
        _segment++;
        return true;
    }

    /// <summary>Closed segments in order: every segment file but the one being appended to.</summary>
    public IReadOnlyList<LogSegment> ClosedSegments()
    {
        long current;
        lock (Gate)
        {
            current = _current is null ? long.MaxValue : _segment;
        }
        return [.. List().Where(s => s.Segment < current)];
    }

    public void Dispose() => _current?.Dispose();

    private List<LogSegment> List()
    {
        var segments = new List<LogSegment>();
        foreach (var path in Directory.EnumerateFiles(_directory, "*.ndjson"))
        {
            var parts = Path.GetFileNameWithoutExtension(path).Split('.');
            if (parts.Length == 3
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var segment)
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var first))
            {
                segments.Add(new LogSegment(_shard, segment, first, parts[2], path));
            }
        }
        segments.Sort((a, b) => a.Segment.CompareTo(b.Segment));
        return segments;
    }

    /// <summary>The length up to the last '\n' and the number of lines before it.</summary>
    internal static (long Length, long Lines) WholeLines(FileStream file)
    {
        file.Position = 0;
        var buffer = new byte[1 << 16];
        long position = 0, end = 0, lines = 0;
        int read;
        while ((read = file.Read(buffer)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] == (byte)'\n')
                {
                    lines++;
                    end = position + i + 1;
                }
            }
            position += read;
        }
        return (end, lines);
    }
}
