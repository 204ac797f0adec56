using System.Buffers;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Sluice.Ingestion.Streams;

/// <summary>A closed log segment of a shard, waiting to be landed.</summary>
internal sealed record LogSegment(int Shard, long Segment, long FirstSequence, string IngestDate, string Path);

/// <summary>
/// A shard's append-only log on local disk: NDJSON segments named
/// {segment}.{first sequence}.{ingest date}.ndjson in the shard's folder. A batch's records are
/// appended to the current segment (<see cref="Append"/>, <see cref="Write"/>, under
/// <see cref="Gate"/>), then made durable by <see cref="SyncAsync"/> before they are acknowledged.
/// Syncs are grouped: one fsync covers every batch written before it, so concurrent or pipelined
/// batches share the disk's flush. A segment is closed when it is due to land; the flusher lands
/// closed segments in order and deletes them once their landing is checkpointed.
/// </summary>
internal sealed class ShardLog : IDisposable
{
    private readonly string _directory;
    private readonly int _shard;
    private readonly TimeProvider _time;
    private readonly ArrayBufferWriter<byte> _pending = new(1 << 16);
    // Held around an fsync and around closing the handle, so a sync never meets a closed file.
    private readonly SemaphoreSlim _syncGate = new(1, 1);
    private SafeFileHandle? _current;
    private long _length;
    private long _segment;
    private long _openedAt;
    private long _written;
    private long _synced;
    private bool _broken;
    // The current segment was created since the directory was last synced.
    private bool _entryUnsynced;

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
        DirectorySync.CreateDurably(directory);
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
        long length, lines;
        using (var file = new FileStream(last.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        {
            (length, lines) = WholeLines(file);
        }
        // The segment may have been closed and landed (hard-linked into the local store) before the
        // crash, without its checkpoint: appending to it in place would change that object.
        Landing.LinkedFiles.ReplaceWithCopyOfFirst(last.Path, length);
        DirectorySync.Flush(directory);
        _current = File.OpenHandle(last.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        _length = length;
        _segment = last.Segment;
        NextSequence = last.FirstSequence + lines;
        _openedAt = time.GetTimestamp();
    }

    /// <summary>Held while appending, writing and rotating.</summary>
    public Lock Gate { get; } = new();

    /// <summary>The sequence position the next record gets (records appended since the stream was created).</summary>
    public long NextSequence { get; private set; }

    /// <summary>After a failed fsync the state of the file is unknown: the shard refuses records until the service restarts.</summary>
    public bool Broken => _broken;

    /// <summary>Adds one JSON value on a single line (without its '\n', which is added here) to the batch being written; returns its sequence position.</summary>
    public long Append(ReadOnlySpan<byte> json)
    {
        var line = _pending.GetSpan(json.Length + 1);
        json.CopyTo(line);
        line[json.Length] = (byte)'\n';
        _pending.Advance(json.Length + 1);
        return NextSequence++;
    }

    /// <summary>Writes the lines appended since the last call to the current segment (not yet durable); returns the version <see cref="SyncAsync"/> waits for.</summary>
    public long Write()
    {
        if (_pending.WrittenCount == 0)
        {
            return _written;
        }
        try
        {
            if (_current is null)
            {
                var first = NextSequence - CountLines(_pending.WrittenSpan);
                var date = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                var path = Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture, $"{_segment:D12}.{first:D20}.{date}.ndjson"));
                _current = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
                _entryUnsynced = true;
                _openedAt = _time.GetTimestamp();
                _length = 0;
            }
            RandomAccess.Write(_current, _pending.WrittenSpan, _length);
            _length += _pending.WrittenCount;
            return ++_written;
        }
        catch (IOException)
        {
            _broken = true;
            throw;
        }
        finally
        {
            _pending.ResetWrittenCount();
        }
    }

    /// <summary>Makes everything written up to <paramref name="version"/> durable (fsync), sharing the flush with other waiters; false when the shard is broken.</summary>
    public async ValueTask<bool> SyncAsync(long version)
    {
        if (Volatile.Read(ref _synced) >= version)
        {
            return true;
        }
        await _syncGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_synced >= version)
            {
                return true;
            }
            if (_broken)
            {
                return false;
            }
            SafeFileHandle? handle;
            long target;
            bool entryUnsynced;
            lock (Gate)
            {
                handle = _current;
                target = _written;
                entryUnsynced = _entryUnsynced;
            }
            if (handle is not null)
            {
                RandomAccess.FlushToDisk(handle);
            }
            if (entryUnsynced)
            {
                // The segment cannot change meanwhile: rotating it waits for the sync gate held here.
                DirectorySync.Flush(_directory);
                lock (Gate)
                {
                    _entryUnsynced = false;
                }
            }
            Volatile.Write(ref _synced, target);
            return true;
        }
        catch (IOException)
        {
            _broken = true;
            return false;
        }
        finally
        {
            _syncGate.Release();
        }
    }

    /// <summary>Closes the current segment when it holds records and is due (large or old enough, or <paramref name="force"/>); the next write starts a new one.</summary>
    public async Task<bool> RotateIfDueAsync(long partBytes, TimeSpan maxAge, bool force, CancellationToken cancellationToken)
    {
        await _syncGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (Gate)
            {
                if (_current is null || _length == 0 || _broken)
                {
                    return false;
                }
                if (!force && _length < partBytes && _time.GetElapsedTime(_openedAt) < maxAge)
                {
                    return false;
                }
                RandomAccess.FlushToDisk(_current);
                if (_entryUnsynced)
                {
                    DirectorySync.Flush(_directory);
                    _entryUnsynced = false;
                }
                _current.Dispose();
                _current = null;
                _segment++;
                Volatile.Write(ref _synced, _written);
                return true;
            }
        }
        finally
        {
            _syncGate.Release();
        }
    }

    /// <summary>Closed segments in order: every segment file but the one being written to.</summary>
    public IReadOnlyList<LogSegment> ClosedSegments()
    {
        long current;
        lock (Gate)
        {
            current = _current is null ? long.MaxValue : _segment;
        }
        return [.. List().Where(s => s.Segment < current)];
    }

    public void Dispose()
    {
        _syncGate.Wait();
        try
        {
            lock (Gate)
            {
                _current?.Dispose();
                _current = null;
                _broken = true;
            }
        }
        finally
        {
            _syncGate.Release();
        }
    }

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

    private static long CountLines(ReadOnlySpan<byte> text) => text.Count((byte)'\n');

    /// <summary>The length up to the last '\n' and the number of lines before it.</summary>
    internal static (long Length, long Lines) WholeLines(FileStream file)
    {
        file.Position = 0;
        var buffer = new byte[1 << 16];
        long position = 0, end = 0, lines = 0;
        int read;
        while ((read = file.Read(buffer)) > 0)
        {
            var span = buffer.AsSpan(0, read);
            lines += span.Count((byte)'\n');
            var last = span.LastIndexOf((byte)'\n');
            if (last >= 0)
            {
                end = position + last + 1;
            }
            position += read;
        }
        return (end, lines);
    }
}
