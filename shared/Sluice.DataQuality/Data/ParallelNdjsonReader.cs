using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Threading.Channels;

namespace Sluice.DataQuality.Data;

/// <summary>
/// Reads NDJSON parts once, in order, and lets several workers evaluate them at the same time: the reader
/// fills pooled buffers, cuts each after its last newline (the incomplete line moves to the next buffer),
/// and queues the line-aligned chunk; each worker takes chunks from the queue and feeds its own
/// <see cref="RowProcessor"/> (own accumulators, merged after the pass). The bytes are still read exactly
/// once; only the parsing and accumulating are shared out.
/// </summary>
/// <remarks>
/// Errors are reported as the sequential reader reports them: for the first bad line in file order. A
/// worker that hits a bad line records it; chunks after it are skipped, chunks before it still run (one of
/// them may hold an earlier bad line), and its line number is made absolute from the line counts of the
/// part's earlier chunks.
/// </remarks>
internal sealed class ParallelNdjsonReader
{
    private readonly IReadOnlyList<RowProcessor> _workers;
    private readonly int _bufferSize;
    private readonly Channel<Chunk> _chunks;
    private readonly Lock _gate = new();
    private readonly List<ChunkLines> _chunkLines = [];
    private Failure? _failure;
    private long _failedSequence = long.MaxValue;

    private ParallelNdjsonReader(IReadOnlyList<RowProcessor> workers, int bufferSize)
    {
        _workers = workers;
        _bufferSize = bufferSize;
        // Four chunks queued per worker absorb scheduling hiccups on a busy machine, and bound memory to about
        // five buffers per worker.
        _chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(4 * workers.Count)
        {
            SingleWriter = true,
            SingleReader = false,
        });
    }

    /// <summary>Reads every part with one worker per processor; returns when all rows have been processed.</summary>
    /// <exception cref="InvalidDataException">A line is not a JSON object; names part and line, as the sequential reader does.</exception>
    public static Task ReadAsync(IReadOnlyList<Func<CancellationToken, Task<Stream>>> parts, bool disposeStreams,
        IReadOnlyList<RowProcessor> workers, int bufferSize, CancellationToken cancellationToken) =>
        new ParallelNdjsonReader(workers, bufferSize).RunAsync(parts, disposeStreams, cancellationToken);

    private bool Stopped => Volatile.Read(ref _failedSequence) != long.MaxValue;

    private async Task RunAsync(IReadOnlyList<Func<CancellationToken, Task<Stream>>> parts, bool disposeStreams, CancellationToken cancellationToken)
    {
        // Dedicated threads: workers hold their thread for the whole pass, so on the thread pool they could starve
        // the reader's own I/O continuations (and anything else the host runs there).
        var workerTasks = _workers.Select(worker => Task.Factory.StartNew(() => Work(worker, cancellationToken), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        ExceptionDispatchInfo? readError = null;
        try
        {
            for (var part = 0; part < parts.Count && !Stopped; part++)
            {
                var stream = await parts[part](cancellationToken).ConfigureAwait(false);
                try
                {
                    await ReadPartAsync(stream, part, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    if (disposeStreams)
                    {
                        await stream.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
        }
        catch (Exception ex)
        {
            readError = ExceptionDispatchInfo.Capture(ex);
        }
        finally
        {
            _chunks.Writer.TryComplete();
        }
        // Workers drain the queue (skipping work after a failure), so this always ends.
        await Task.WhenAll(workerTasks).ConfigureAwait(false);

        // A bad row read before the reader failed comes first in file order, as in a sequential read.
        if (_failure is { } failure)
        {
            if (failure.Error is JsonException or InvalidDataException)
            {
                throw NdjsonReader.LineError(failure.Error, failure.Part, LinesBefore(failure.Sequence, failure.Part) + failure.Line);
            }
            ExceptionDispatchInfo.Throw(failure.Error);
        }
        readError?.Throw();
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task ReadPartAsync(Stream stream, int part, CancellationToken cancellationToken)
    {
        byte[]? buffer = ArrayPool<byte>.Shared.Rent(_bufferSize);
        var filled = 0;
        var first = true;
        try
        {
            while (!Stopped)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (filled == buffer.Length)
                {
                    var lastNewline = buffer.AsSpan(0, filled).LastIndexOf((byte)'\n');
                    if (lastNewline < 0)
                    {
                        // One line longer than the buffer: grow it, as the sequential reader does.
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, filled).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                        continue;
                    }
                    var remainder = filled - (lastNewline + 1);
                    var next = ArrayPool<byte>.Shared.Rent(Math.Max(_bufferSize, 2 * remainder));
                    buffer.AsSpan(lastNewline + 1, remainder).CopyTo(next);
                    var full = buffer;
                    buffer = next;
                    filled = remainder;
                    await DispatchAsync(full, lastNewline + 1, part, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    if (filled > 0)
                    {
                        var last = buffer;
                        buffer = null;
                        await DispatchAsync(last, filled, part, cancellationToken).ConfigureAwait(false);
                    }
                    return;
                }
                filled += read;
                if (first && filled >= 3)
                {
                    first = false;
                    ByteOrderMark.TryStrip(buffer, ref filled);
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Queues a buffer of whole lines; the worker that takes it returns it to the pool.</summary>
    private async Task DispatchAsync(byte[] buffer, int length, int part, CancellationToken cancellationToken)
    {
        long sequence;
        lock (_gate)
        {
            sequence = _chunkLines.Count;
            _chunkLines.Add(new ChunkLines(part, -1));
        }
        try
        {
            await _chunks.Writer.WriteAsync(new Chunk(buffer, length, part, sequence), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private void Work(RowProcessor processor, CancellationToken cancellationToken)
    {
        var queue = _chunks.Reader;
        while (true)
        {
            if (!queue.TryRead(out var chunk))
            {
                // Block this dedicated thread until the reader queues more or completes the queue.
                var more = queue.WaitToReadAsync(CancellationToken.None);
                if (!(more.IsCompletedSuccessfully ? more.Result : more.AsTask().GetAwaiter().GetResult()))
                {
                    return;
                }
                continue;
            }
            try
            {
                if (!cancellationToken.IsCancellationRequested && chunk.Sequence < Volatile.Read(ref _failedSequence))
                {
                    Process(chunk, processor);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk.Buffer);
            }
        }
    }

    private void Process(Chunk chunk, RowProcessor processor)
    {
        var data = chunk.Buffer.AsSpan(0, chunk.Length);
        long line = 0;
        var start = 0;
        while (start < data.Length)
        {
            var newline = data[start..].IndexOf((byte)'\n');
            var end = newline < 0 ? data.Length : start + newline;
            line++;
            var text = data[start..end];
            if (!NdjsonReader.IsBlank(text))
            {
                try
                {
                    processor.ProcessRow(text);
                }
                catch (Exception ex)
                {
                    Fail(new Failure(chunk.Sequence, chunk.Part, line, ex));
                    return;
                }
            }
            start = end + 1;
        }
        lock (_gate)
        {
            _chunkLines[(int)chunk.Sequence] = new ChunkLines(chunk.Part, line);
        }
    }

    private void Fail(Failure failure)
    {
        lock (_gate)
        {
            if (failure.Sequence < _failedSequence)
            {
                _failure = failure;
                Volatile.Write(ref _failedSequence, failure.Sequence);
            }
        }
    }

    /// <summary>Lines of <paramref name="part"/> in chunks before <paramref name="sequence"/>; all of them were processed.</summary>
    private long LinesBefore(long sequence, int part)
    {
        long lines = 0;
        for (var i = 0; i < sequence; i++)
        {
            if (_chunkLines[i].Part == part)
            {
                lines += _chunkLines[i].Lines;
            }
        }
        return lines;
    }

    private readonly record struct Chunk(byte[] Buffer, int Length, int Part, long Sequence);

    private readonly record struct ChunkLines(int Part, long Lines);

    private sealed record Failure(long Sequence, int Part, long Line, Exception Error);
}
