using System.Buffers;
using System.Threading.Channels;
using Google.Protobuf;
using Sluice.Query.V1;

namespace Sluice.Query.Statements;

/// <summary>Where one batch of records sits in a result file.</summary>
internal readonly record struct BatchLocation(long Offset, int Length, int Rows);

/// <summary>
/// A finished statement's result, kept in a file of serialized <see cref="RecordBatch"/>es
/// (one per page) with only the index in memory, so a large result costs disk, not memory.
/// </summary>
public sealed class StoredResult
{
    private readonly string _path;
    private readonly IReadOnlyList<BatchLocation> _batches;

    internal StoredResult(string path, IReadOnlyList<ColumnMetadata> columns, IReadOnlyList<BatchLocation> batches, long totalRows, long sizeBytes)
    {
        _path = path;
        _batches = batches;
        Columns = columns;
        TotalRows = totalRows;
        SizeBytes = sizeBytes;
    }

    public IReadOnlyList<ColumnMetadata> Columns { get; }

    /// <summary>The file holding the batches.</summary>
    internal string FilePath => _path;

    /// <summary>Where each batch sits in the file.</summary>
    internal IReadOnlyList<BatchLocation> Batches => _batches;

    public long TotalRows { get; }

    /// <summary>Bytes of the stored records (their protobuf encoding).</summary>
    public long SizeBytes { get; }

    public int BatchCount => _batches.Count;

    /// <summary>Bytes of batch <paramref name="index"/>'s stored encoding.</summary>
    public int BatchLength(int index) => _batches[index].Length;

    /// <summary>Copies batch <paramref name="index"/>'s stored RecordBatch encoding, unparsed, to the start of <paramref name="destination"/>.</summary>
    public async Task ReadBatchSerializedAsync(int index, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var batch = _batches[index];
        await using var file = OpenFile(bufferSize: 1);
        file.Position = batch.Offset;
        await file.ReadExactlyAsync(destination[..batch.Length], cancellationToken).ConfigureAwait(false);
    }

    public async Task<RecordBatch> ReadBatchAsync(int index, CancellationToken cancellationToken)
    {
        await using var file = OpenFile(bufferSize: 1);
        return await ReadAsync(file, _batches[index], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Every batch in order as its stored protobuf encoding, unparsed, for callers that send it on
    /// as it is. Each item is <paramref name="reservedPrefix"/> free bytes followed by the batch,
    /// so a caller can put a field header in front without copying; the buffer is reused for the
    /// next batch once the consumer asks for it.
    /// </summary>
    public IAsyncEnumerable<Memory<byte>> ReadAllSerializedAsync(int reservedPrefix, CancellationToken cancellationToken) =>
        ResultFile.ReadSerializedAsync(OpenFile, (index, _) => ValueTask.FromResult(index < _batches.Count ? _batches[index] : (BatchLocation?)null), reservedPrefix, cancellationToken);

    internal void Delete()
    {
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // A reader still has it open on a platform that forbids deleting then; it stays until the next start.
        }
    }

    private FileStream OpenFile(int bufferSize) => ResultFile.Open(_path, bufferSize);

    private static async Task<RecordBatch> ReadAsync(FileStream file, BatchLocation location, CancellationToken cancellationToken)
    {
        var buffer = new byte[location.Length];
        file.Position = location.Offset;
        await file.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        return RecordBatch.Parser.ParseFrom(buffer);
    }
}

/// <summary>
/// Writes a result file batch by batch while the engine's reader advances. Records arrive already encoded
/// (<see cref="ResultRecordEncoder"/>) and a batch is built as bytes: the file holds the same RecordBatch encoding as
/// ever, without a message object per batch, record or field. Full batches go to the file on another thread, so the
/// statement's thread only reads and encodes rows; each batch is flushed to the file before it is announced on
/// <see cref="Tail"/>, so a reader following the result never reads past what is written.
/// </summary>
internal sealed class ResultWriter : IAsyncDisposable
{
    // RecordBatch.records (field 1, length-delimited).
    private const byte RecordTag = 0x0A;

    // Batches waiting for the file: enough to ride out a slow write, few enough to bound memory (pages are at most
    // Sluice:Query:ResultPageBytes each, about 1 MiB).
    private const int PendingBatches = 4;

    private readonly string _path;
    private readonly IReadOnlyList<ColumnMetadata> _columns;
    private readonly FileStream _file;
    private readonly int _pageRows;
    private readonly int _pageBytes;
    private readonly long _maxBytes;
    private readonly List<BatchLocation> _batches = [];
    private readonly ResultRecordEncoder _copied = new();
    private readonly Channel<PendingBatch> _pending = Channel.CreateBounded<PendingBatch>(
        new BoundedChannelOptions(PendingBatches) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _writing;
    private readonly bool _blocksCallingThread;
    private byte[] _batch;
    private int _batchLength;
    private int _batchRows;
    private int _currentBytes;
    private long _handedOffBytes;
    private long _totalRows;
    private bool _completed;

    /// <param name="blocksCallingThread">
    /// The caller runs on a thread of its own (<see cref="Engines.IConnectionSqlEngine.BlocksCallingThread"/>): a batch
    /// waiting for the file then holds that thread, instead of moving the statement's work to a thread-pool thread.
    /// </param>
    public ResultWriter(string path, IReadOnlyList<ColumnMetadata> columns, int pageRows, int pageBytes, long maxBytes, bool blocksCallingThread = false)
    {
        _blocksCallingThread = blocksCallingThread;
        _path = path;
        _columns = columns;
        _pageRows = pageRows;
        _pageBytes = pageBytes;
        _maxBytes = maxBytes;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete, 64 * 1024);
        Tail = new ResultTail(path, columns);
        _batch = ArrayPool<byte>.Shared.Rent(64 * 1024);
        _writing = Task.Run(WriteBatchesAsync);
    }

    /// <summary>The result as written so far, for readers that follow it while the statement runs.</summary>
    public ResultTail Tail { get; }

    /// <summary>Adds a record given as a message (a remote engine's page).</summary>
    public ValueTask AddAsync(Record record)
    {
        foreach (var field in record.Fields)
        {
            _copied.Write(field);
        }
        return AddAsync(_copied);
    }

    /// <summary>
    /// Adds the record <paramref name="record"/> holds, and clears it for the next. Completes at once unless a full
    /// batch has to wait for the file.
    /// </summary>
    public ValueTask AddAsync(ResultRecordEncoder record)
    {
        var fields = record.Fields;
        var size = fields.Length;
        // A page holds at least one record, however large.
        var handOff = _batchRows > 0 && (_batchRows >= _pageRows || _currentBytes + size > _pageBytes) ? HandOffAsync() : ValueTask.CompletedTask;
        var needed = _batchLength + 1 + 5 + size;
        if (_batch.Length < needed)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_batch.Length * 2, needed));
            _batch.AsSpan(0, _batchLength).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_batch);
            _batch = larger;
        }
        _batch[_batchLength] = RecordTag;
        _batchLength += 1 + ResultRecordEncoder.WriteVarint(_batch.AsSpan(_batchLength + 1), (uint)size);
        fields.CopyTo(_batch.AsSpan(_batchLength));
        _batchLength += size;
        record.Clear();
        _batchRows++;
        _currentBytes += size + 5; // Field tag and length prefix of the record inside the batch.
        _totalRows++;
        if (_handedOffBytes + _currentBytes > _maxBytes)
        {
            throw new QueryException(QueryErrorType.ExecuteStatementException,
                $"The result exceeds the size limit of {_maxBytes} bytes (Sluice:Query:MaxResultSizeBytes); add a LIMIT or select fewer columns.");
        }
        return handOff;
    }

    /// <summary>Writes the last batch, waits until every batch is in the file, and announces the whole result.</summary>
    public async Task<StoredResult> CompleteAsync()
    {
        if (_batchRows > 0)
        {
            await HandOffAsync().ConfigureAwait(false);
        }
        _pending.Writer.Complete();
        await _writing.ConfigureAwait(false);
        _file.Flush();
        _completed = true;
        var result = new StoredResult(_path, _columns, _batches, _totalRows, _file.Position);
        Tail.End(result);
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        try
        {
            await _writing.ConfigureAwait(false);
        }
        catch (Exception) when (!_completed)
        {
            // The statement failed already (this failure, or an earlier one); its result is given up below.
        }
        while (_pending.Reader.TryRead(out var left))
        {
            ArrayPool<byte>.Shared.Return(left.Buffer);
        }
        ArrayPool<byte>.Shared.Return(_batch);
        _batch = [];
        await _file.DisposeAsync().ConfigureAwait(false);
        if (!_completed)
        {
            Tail.End(null);
            File.Delete(_path);
        }
    }

    /// <summary>Queues the current batch for the file and starts the next.</summary>
    private ValueTask HandOffAsync()
    {
        var batch = new PendingBatch(_batch, _batchLength, _batchRows);
        _handedOffBytes += _batchLength;
        _batch = ArrayPool<byte>.Shared.Rent(Math.Max(64 * 1024, _batchLength));
        _batchLength = 0;
        _batchRows = 0;
        _currentBytes = 0;
        if (_pending.Writer.TryWrite(batch))
        {
            return ValueTask.CompletedTask;
        }
        if (!_blocksCallingThread)
        {
            return WaitToHandOffAsync(batch);
        }
        WaitToHandOffAsync(batch).AsTask().GetAwaiter().GetResult();
        return ValueTask.CompletedTask;
    }

    private async ValueTask WaitToHandOffAsync(PendingBatch batch)
    {
        try
        {
            await _pending.Writer.WriteAsync(batch).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            ArrayPool<byte>.Shared.Return(batch.Buffer);
            // The file writer failed (its failure is the statement's, rethrown here), or the statement already gave
            // its result up (the writer was disposed) and there is nothing left to report.
            await _writing.ConfigureAwait(false);
        }
    }

    private async Task WriteBatchesAsync()
    {
        try
        {
            await foreach (var batch in _pending.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                var offset = _file.Position;
                try
                {
                    _file.Write(batch.Buffer, 0, batch.Length);
                    _file.Flush();
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(batch.Buffer);
                    throw;
                }
                var location = new BatchLocation(offset, batch.Length, batch.Rows);
                _batches.Add(location);
                // The tail keeps the bytes for followers, and gives the buffer back to the pool when it drops them.
                Tail.Append(location, batch.Buffer);
            }
        }
        catch (Exception exception)
        {
            // Wakes a statement waiting to hand off a batch; it then sees this failure.
            _pending.Writer.TryComplete(exception);
            throw;
        }
    }

    private readonly record struct PendingBatch(byte[] Buffer, int Length, int Rows);
}

/// <summary>
/// A result while its statement writes it: the batches flushed so far, and its end. StreamStatementResult follows it,
/// so a caller gets rows while the statement still runs rather than once it has written its whole result.
/// </summary>
internal sealed class ResultTail(string path, IReadOnlyList<ColumnMetadata> columns)
{
    // The last batches written stay in memory too (the writer's pooled buffers): a follower that keeps up copies each
    // from here instead of reading it back from the file, which cost a read and a thread-pool hop per batch. The file
    // stays the whole result (for pages, retention and other replicas); a follower further behind reads it there.
    // At most this many buffers (each at most a page, Sluice:Query:ResultPageBytes) per running statement.
    internal const int RecentBatches = 4;

    private readonly Lock _sync = new();
    private readonly List<BatchLocation> _batches = [];
    private readonly byte[]?[] _recent = new byte[]?[RecentBatches];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _ended;
    private StoredResult? _result;

    public IReadOnlyList<ColumnMetadata> Columns { get; } = columns;

    /// <summary>
    /// Every batch in order, as <see cref="StoredResult.ReadAllSerializedAsync"/> gives them, waiting for each until the
    /// statement writes it; ends when the whole result is written.
    /// </summary>
    /// <exception cref="ResultAbandonedException">The statement stopped writing before the result was whole (it failed or was cancelled).</exception>
    public IAsyncEnumerable<Memory<byte>> ReadAllSerializedAsync(int reservedPrefix, CancellationToken cancellationToken) =>
        ResultFile.ReadSerializedAsync(bufferSize => ResultFile.Open(path, bufferSize), NextAsync, reservedPrefix, cancellationToken, TryCopyRecent);

    /// <summary>
    /// Batch <paramref name="location"/> is in the file (flushed); <paramref name="buffer"/> holds its bytes, rented from
    /// the shared pool, and is the tail's now.
    /// </summary>
    internal void Append(BatchLocation location, byte[] buffer)
    {
        TaskCompletionSource changed;
        byte[]? dropped;
        lock (_sync)
        {
            System.Diagnostics.Debug.Assert(!_ended, "The writer appends nothing after the result ends.");
            var slot = _batches.Count % RecentBatches;
            dropped = _recent[slot];
            _recent[slot] = buffer;
            _batches.Add(location);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        if (dropped is not null)
        {
            ArrayPool<byte>.Shared.Return(dropped);
        }
        changed.TrySetResult();
    }

    /// <summary>The result is whole (<paramref name="result"/>), or abandoned (null). Followers read what is left from the file.</summary>
    internal void End(StoredResult? result)
    {
        TaskCompletionSource changed;
        var dropped = new List<byte[]>(RecentBatches);
        lock (_sync)
        {
            _ended = true;
            _result = result;
            changed = _changed;
            for (var slot = 0; slot < RecentBatches; slot++)
            {
                if (_recent[slot] is { } buffer)
                {
                    dropped.Add(buffer);
                    _recent[slot] = null;
                }
            }
        }
        foreach (var buffer in dropped)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        changed.TrySetResult();
    }

    /// <summary>Copies batch <paramref name="index"/> to <paramref name="destination"/> if it is still in memory.</summary>
    private bool TryCopyRecent(int index, Memory<byte> destination)
    {
        lock (_sync)
        {
            // Slot index % RecentBatches holds batch index only while no later batch has replaced it.
            if (index >= _batches.Count || _batches.Count - index > RecentBatches || _recent[index % RecentBatches] is not { } buffer)
            {
                return false;
            }
            buffer.AsSpan(0, _batches[index].Length).CopyTo(destination.Span);
            return true;
        }
    }

    private async ValueTask<BatchLocation?> NextAsync(int index, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_sync)
            {
                if (index < _batches.Count)
                {
                    return _batches[index];
                }
                if (_ended)
                {
                    return _result is not null ? null : throw new ResultAbandonedException();
                }
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>A followed result's statement stopped writing it before it was whole.</summary>
internal sealed class ResultAbandonedException() : Exception("The statement stopped before its result was whole.");

/// <summary>Reading the batches of a result file.</summary>
internal static class ResultFile
{
    public static FileStream Open(string path, int bufferSize)
    {
        try
        {
            return new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            // Retention removed the result between the request's lookup and this read.
            throw new QueryException(QueryErrorType.ResourceNotFoundException, "The statement's result is no longer kept: its retention period ended.");
        }
    }

    /// <summary>
    /// The batches <paramref name="next"/> gives (by index, null after the last) as their stored encoding, unparsed.
    /// Each item is <paramref name="reservedPrefix"/> free bytes followed by the batch, so a caller can put a field
    /// header in front without copying; the buffer is reused for the next batch once the consumer asks for it.
    /// </summary>
    /// <param name="copyFromMemory">Copies a batch to the given space if its bytes are at hand, sparing the file read; null when never.</param>
    public static async IAsyncEnumerable<Memory<byte>> ReadSerializedAsync(Func<int, FileStream> open, Func<int, CancellationToken, ValueTask<BatchLocation?>> next,
        int reservedPrefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken,
        Func<int, Memory<byte>, bool>? copyFromMemory = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(reservedPrefix);
        // Opened before the first batch even when memory may serve them all: a result retention has removed fails here,
        // at once, as it always has.
        await using var file = open(1);
        var buffer = Array.Empty<byte>();
        try
        {
            for (var index = 0; await next(index, cancellationToken).ConfigureAwait(false) is { } batch; index++)
            {
                var length = reservedPrefix + batch.Length;
                if (buffer.Length < length)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(length);
                }
                var destination = buffer.AsMemory(reservedPrefix, batch.Length);
                if (copyFromMemory?.Invoke(index, destination) != true)
                {
                    file.Position = batch.Offset;
                    await file.ReadExactlyAsync(destination, cancellationToken).ConfigureAwait(false);
                }
                yield return buffer.AsMemory(0, length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
