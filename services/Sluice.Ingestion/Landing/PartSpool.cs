using System.Security.Cryptography;
using Sluice.Ingestion.Storage;
using Sluice.ObjectStore;

namespace Sluice.Ingestion.Landing;

/// <summary>
/// Writes a job's records as NDJSON parts. Records go first to the spool file of their part
/// (part-00000.ndjson, part-00001.ndjson, ... in the job's spool directory), flushed to disk
/// before each checkpoint. A part that reaches the roll size is closed and put under its final
/// key in one all-or-nothing write of the object store, in the background: the job goes on
/// writing the next part meanwhile, and a checkpoint taken before the upload is confirmed records
/// the part as pending (<see cref="Pending"/>); a restart then puts it again from its spool file,
/// which is idempotent. After a crash the current part's spool is cut back to the checkpointed
/// length, which drops whatever was written after the last checkpoint; a spool file is deleted
/// only once a saved checkpoint no longer needs it (<see cref="Checkpointed"/>).
/// </summary>
internal sealed class PartSpool : IAsyncDisposable
{
    private const int SpoolBufferBytes = 1 << 16;

    // Large reads keep hashing a part (up to its roll size) from the page cache cheap.
    private const int HashBufferBytes = 1 << 20;

    private readonly IObjectStore _store;
    private readonly string _spoolDirectory;
    private readonly string _keyPrefix;
    private readonly long _partBytes;
    private readonly List<LandedPart> _parts;
    private readonly CuratedZone? _curated;
    private readonly List<LandedPart> _curatedParts;
    private readonly CancellationTokenSource _uploads;
    private FileStream _file;
    private int _fileIndex;
    private Task<(LandedPart Raw, LandedPart? Curated)>? _upload;
    private int _deletedBelow;

    /// <summary>
    /// Opens (or reopens at the checkpoint) the spool of a job; with <paramref name="curated"/>, each
    /// part also gets its Parquet copy. A <paramref name="pending"/> part is put again at once.
    /// </summary>
    public PartSpool(IObjectStore store, string spoolDirectory, string keyPrefix, long partBytes, IReadOnlyList<LandedPart> parts, long spoolBytes, long spoolRecords,
        PendingPart? pending = null, CuratedZone? curated = null, IReadOnlyList<LandedPart>? curatedParts = null, CancellationToken cancellationToken = default)
    {
        _curated = curated;
        _curatedParts = [.. curatedParts ?? []];
        _store = store;
        _spoolDirectory = spoolDirectory;
        _keyPrefix = keyPrefix;
        _partBytes = partBytes;
        _parts = [.. parts];
        _uploads = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Directory.CreateDirectory(spoolDirectory);
        _fileIndex = _parts.Count + (pending is null ? 0 : 1);
        _deletedBelow = _parts.Count;
        DeleteSpoolFilesOutside(_parts.Count, _fileIndex);
        if (pending is not null)
        {
            Pending = pending;
            CutBack(_parts.Count, pending.Bytes);
            _upload = UploadAsync(_parts.Count, pending.Records);
        }
        _file = OpenSpool(_fileIndex, spoolBytes);
        Records = spoolRecords;
    }

    public IReadOnlyList<LandedPart> Parts => _parts;

    /// <summary>The Parquet copies of <see cref="Parts"/>, one each, when the source has a curated zone.</summary>
    public IReadOnlyList<LandedPart> CuratedParts => _curatedParts;

    /// <summary>The part after <see cref="Parts"/>, rolled and durable in its spool file, whose upload is not confirmed yet.</summary>
    public PendingPart? Pending { get; private set; }

    /// <summary>Bytes of the current part so far.</summary>
    public long Bytes => _file.Length;

    /// <summary>Records of the current part so far.</summary>
    public long Records { get; private set; }

    /// <summary>The key of part <paramref name="index"/>: {prefix}/part-00000.ndjson.</summary>
    public string PartKey(int index) => $"{_keyPrefix}/part-{index:D5}.ndjson";

    /// <summary>Appends NDJSON lines (each ending in '\n') holding <paramref name="records"/> records.</summary>
    public void Append(ReadOnlySpan<byte> lines, int records)
    {
        _file.Write(lines);
        Records += records;
    }

    /// <summary>
    /// Makes everything appended durable: the spool is flushed to disk and, once it reached the roll
    /// size (or <paramref name="final"/> and it holds records), closed and uploaded as the next part.
    /// A finished upload is collected into <see cref="Parts"/>; <paramref name="final"/> waits for it.
    /// </summary>
    public async Task CommitAsync(bool final, CancellationToken cancellationToken)
    {
        _file.Flush(flushToDisk: true);
        if (_upload is { IsCompleted: true })
        {
            await CollectUploadAsync().ConfigureAwait(false);
        }
        if (Records > 0 && (final || _file.Length >= _partBytes))
        {
            // One upload at a time keeps the parts in order and the pending state to one part.
            if (_upload is not null)
            {
                await CollectUploadAsync().ConfigureAwait(false);
            }
            Pending = new PendingPart(Records, _file.Length);
            await _file.DisposeAsync().ConfigureAwait(false);
            _upload = UploadAsync(_fileIndex, Records);
            _fileIndex++;
            _file = OpenSpool(_fileIndex, 0);
            Records = 0;
        }
        if (final && _upload is not null)
        {
            await CollectUploadAsync().ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Called once a checkpoint holding <see cref="Parts"/> is saved: the spool files of those parts
    /// are no longer needed to resume.
    /// </summary>
    public void Checkpointed()
    {
        for (; _deletedBelow < _parts.Count; _deletedBelow++)
        {
            File.Delete(SpoolPath(_deletedBelow));
        }
    }

    /// <summary>Puts <paramref name="content"/> from its position to its end as <paramref name="key"/>; returns the SHA-256 of what was put, in lowercase hex.</summary>
    public static async Task<string> PutWithChecksumAsync(IObjectStore store, string key, Stream content, string contentType, CancellationToken cancellationToken)
    {
        using var sha = SHA256.Create();
        await using (var hashing = new CryptoStream(content, sha, CryptoStreamMode.Read, leaveOpen: true))
        {
            await store.PutAsync(key, hashing, contentType, cancellationToken).ConfigureAwait(false);
        }
        return Convert.ToHexStringLower(sha.Hash!);
    }

    /// <summary>Removes the spool directory once the job has ended.</summary>
    public async Task DeleteAsync()
    {
        await DisposeAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(_spoolDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>Closes the spool; an upload still going is cancelled and awaited, so nothing touches the spool afterwards.</summary>
    public async ValueTask DisposeAsync()
    {
        await _file.DisposeAsync().ConfigureAwait(false);
        if (_upload is { } upload)
        {
            await _uploads.CancelAsync().ConfigureAwait(false);
            try
            {
                await upload.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The job is ending either way; a restart puts a pending part again.
            }
            _upload = null;
        }
        _uploads.Dispose();
    }

    private string SpoolPath(int index) => Path.Combine(_spoolDirectory, $"part-{index:D5}.ndjson");

    /// <summary>Waits for the upload in flight and records its part; its failure fails the commit.</summary>
    private async Task CollectUploadAsync()
    {
        var upload = _upload!;
        _upload = null;
        var (raw, curated) = await upload.ConfigureAwait(false);
        _parts.Add(raw);
        if (curated is not null)
        {
            _curatedParts.Add(curated);
        }
        Pending = null;
    }

    /// <summary>
    /// Puts part <paramref name="index"/> from its spool file (and its Parquet copy), on the thread
    /// pool. The spool file itself is handed to the store, which on the same file system links it in
    /// place of a copy; so a rolled spool file is never written again (see <see cref="OpenSpool"/>).
    /// </summary>
    private Task<(LandedPart Raw, LandedPart? Curated)> UploadAsync(int index, long records)
    {
        var cancellationToken = _uploads.Token;
        return Task.Run(async () =>
        {
            var path = SpoolPath(index);
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, HashBufferBytes, FileOptions.SequentialScan);
            var checksum = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false));
            var key = PartKey(index);
            await _store.PutFileAsync(key, path, "application/x-ndjson", cancellationToken).ConfigureAwait(false);
            var curated = _curated is null ? null : await _curated.LandAsync(file, index, cancellationToken).ConfigureAwait(false);
            return (new LandedPart(key, records, file.Length, checksum), curated);
        }, cancellationToken);
    }

    /// <summary>Cuts a spool file back to its checkpointed length; it must hold at least that much.</summary>
    private void CutBack(int index, long length)
    {
        var path = SpoolPath(index);
        var actual = File.Exists(path) ? new FileInfo(path).Length : 0;
        if (actual < length)
        {
            throw new InvalidDataException($"The spool file {path} is shorter ({actual} bytes) than its checkpoint ({length} bytes).");
        }
        if (actual > length)
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
            RandomAccess.SetLength(handle, length);
        }
    }

    /// <summary>
    /// At a reopen: spool files of parts the checkpoint holds as landed are left from before the
    /// crash, and those after its current part come from a roll it does not know; neither is needed.
    /// </summary>
    private void DeleteSpoolFilesOutside(int first, int last)
    {
        foreach (var path in Directory.EnumerateFiles(_spoolDirectory, "part-*.ndjson"))
        {
            if (int.TryParse(Path.GetFileNameWithoutExtension(path).AsSpan("part-".Length), out var index) && (index < first || index > last))
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>
    /// Opens the spool file of the current part at <paramref name="length"/>. A file left from before
    /// a restart is never written in place: if the crash came after it rolled and before that
    /// checkpoint, it may already be a landed object (linked, not copied), which must not change. Its
    /// checkpointed bytes are copied to a new file that takes its name instead.
    /// </summary>
    private FileStream OpenSpool(int index, long length)
    {
        var path = SpoolPath(index);
        if (length == 0)
        {
            File.Delete(path);
            return new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, SpoolBufferBytes);
        }

        var actual = File.Exists(path) ? new FileInfo(path).Length : 0;
        if (actual < length)
        {
            throw new InvalidDataException($"The spool file {path} is shorter ({actual} bytes) than its checkpoint ({length} bytes).");
        }
        LinkedFiles.ReplaceWithCopyOfFirst(path, length);
        var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, SpoolBufferBytes);
        file.Position = length;
        return file;
    }
}
