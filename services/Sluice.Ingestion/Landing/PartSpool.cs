using System.Security.Cryptography;
using System.Text.Json;
using Sluice.Ingestion.Storage;
using Sluice.ObjectStore;

namespace Sluice.Ingestion.Landing;

/// <summary>
/// Writes a job's records as NDJSON parts. Records go first to a spool file in the service's data
/// directory, flushed to disk before each checkpoint; a part that reaches the roll size is put
/// under its final key in one all-or-nothing write of the object store (the spool file is the
/// temporary copy), so a reader never sees half a part. After a crash the spool is cut back to
/// the checkpointed length, which drops whatever was written after the last checkpoint. A rolled
/// spool is kept aside until the next roll: a crash after the roll but before its checkpoint
/// resumes from the checkpoint before, whose bytes are then taken back.
/// </summary>
internal sealed class PartSpool : IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly string _spoolDirectory;
    private readonly string _keyPrefix;
    private readonly long _partBytes;
    private readonly List<LandedPart> _parts;
    private readonly CuratedZone? _curated;
    private readonly List<LandedPart> _curatedParts;
    private readonly byte[] _newline = [(byte)'\n'];
    private FileStream _file;

    /// <summary>Opens (or reopens at the checkpoint) the spool of a job; with <paramref name="curated"/>, each part also gets its Parquet copy.</summary>
    public PartSpool(IObjectStore store, string spoolDirectory, string keyPrefix, long partBytes, IReadOnlyList<LandedPart> parts, long spoolBytes, long spoolRecords,
        CuratedZone? curated = null, IReadOnlyList<LandedPart>? curatedParts = null)
    {
        _curated = curated;
        _curatedParts = [.. curatedParts ?? []];
        _store = store;
        _spoolDirectory = spoolDirectory;
        _keyPrefix = keyPrefix;
        _partBytes = partBytes;
        _parts = [.. parts];
        Directory.CreateDirectory(spoolDirectory);
        _file = OpenSpool(spoolBytes);
        Records = spoolRecords;
    }

    public IReadOnlyList<LandedPart> Parts => _parts;

    /// <summary>The Parquet copies of <see cref="Parts"/>, one each, when the source has a curated zone.</summary>
    public IReadOnlyList<LandedPart> CuratedParts => _curatedParts;

    /// <summary>Bytes of the current part so far.</summary>
    public long Bytes => _file.Length;

    /// <summary>Records of the current part so far.</summary>
    public long Records { get; private set; }

    /// <summary>The key of part <paramref name="index"/>: {prefix}/part-00000.ndjson.</summary>
    public string PartKey(int index) => $"{_keyPrefix}/part-{index:D5}.ndjson";

    /// <summary>Appends one record as a compact JSON line; returns the bytes written.</summary>
    public long Append(JsonElement record, Utf8JsonWriter writer, MemoryStream buffer)
    {
        buffer.SetLength(0);
        writer.Reset(buffer);
        record.WriteTo(writer);
        writer.Flush();
        buffer.Write(_newline);
        _file.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        Records++;
        return buffer.Length;
    }

    /// <summary>
    /// Makes everything appended durable: the spool is flushed to disk and, once it reached the roll
    /// size (or <paramref name="final"/> and it holds records), uploaded as the next part.
    /// </summary>
    public async Task CommitAsync(bool final, CancellationToken cancellationToken)
    {
        _file.Flush(flushToDisk: true);
        if (Records == 0 || (!final && _file.Length < _partBytes))
        {
            return;
        }
        var key = PartKey(_parts.Count);
        _file.Position = 0;
        var checksum = await PutWithChecksumAsync(_store, key, _file, "application/x-ndjson", cancellationToken).ConfigureAwait(false);
        if (_curated is not null)
        {
            _curatedParts.Add(await _curated.LandAsync(_file, _parts.Count, cancellationToken).ConfigureAwait(false));
        }
        _parts.Add(new LandedPart(key, Records, _file.Length, checksum));
        await _file.DisposeAsync().ConfigureAwait(false);
        File.Move(SpoolPath, RolledPath, overwrite: true);
        _file = OpenSpool(0);
        Records = 0;
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
        await _file.DisposeAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(_spoolDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    public ValueTask DisposeAsync() => _file.DisposeAsync();

    private string SpoolPath => Path.Combine(_spoolDirectory, "current.ndjson");

    /// <summary>The spool of the part rolled last, until the next roll.</summary>
    private string RolledPath => Path.Combine(_spoolDirectory, "rolled.ndjson");

    private FileStream OpenSpool(long length)
    {
        // Shorter than its checkpoint: the crash came between a roll and the checkpoint recording
        // it (every later checkpoint is behind the bytes it counts), so the rolled spool is the one.
        if (length > 0 && File.Exists(RolledPath) && (!File.Exists(SpoolPath) || new FileInfo(SpoolPath).Length < length))
        {
            File.Move(RolledPath, SpoolPath, overwrite: true);
        }
        var file = new FileStream(SpoolPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        if (file.Length < length)
        {
            file.Dispose();
            throw new InvalidDataException($"The spool file {SpoolPath} is shorter ({file.Length} bytes) than its checkpoint ({length} bytes).");
        }
        file.SetLength(length);
        file.Position = length;
        return file;
    }
}
