using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.DataQuality.Data;

/// <summary>
/// A dataset to evaluate: NDJSON parts read in order as one table (the object store yields one stream per
/// part), or inline rows. Every source is read once, and once more (sequentially) when rules have <c>where</c>
/// clauses: parts are opened again, already open streams are sought back to where they started.
/// </summary>
public abstract class DatasetSource
{
    private protected DatasetSource()
    {
    }

    /// <summary>NDJSON from already open streams, read in order. The streams are read to the end, not disposed.</summary>
    public static DatasetSource FromNdjson(params IEnumerable<Stream> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var list = parts.ToList();
        var starts = list.Select(stream => stream.CanSeek ? stream.Position : -1).ToList();
        var opens = list.Select((stream, index) => (Func<CancellationToken, Task<Stream>>)(_ =>
        {
            if (starts[index] >= 0)
            {
                stream.Position = starts[index];
            }
            return Task.FromResult(stream);
        })).ToList();
        return new NdjsonSource(opens, disposeStreams: false, canReread: starts.All(start => start >= 0));
    }

    /// <summary>NDJSON parts opened one at a time, in order; each opened stream is disposed after it was read.</summary>
    public static DatasetSource FromNdjsonParts(IEnumerable<Func<CancellationToken, Task<Stream>>> openParts)
    {
        ArgumentNullException.ThrowIfNull(openParts);
        return new NdjsonSource(openParts.ToList(), disposeStreams: true, canReread: true);
    }

    /// <summary>Inline rows, each a JSON object (a null entry is a row of nulls).</summary>
    public static DatasetSource FromRows(IEnumerable<JsonObject?> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return new InlineSource(rows.Select(row => row is null ? "{}"u8.ToArray() : JsonSerializer.SerializeToUtf8Bytes(row)));
    }

    /// <summary>Inline rows given as JSON elements; each must be an object.</summary>
    public static DatasetSource FromRows(IEnumerable<JsonElement> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return new InlineSource(rows.Select(row => JsonSerializer.SerializeToUtf8Bytes(row)));
    }

    /// <summary>True when rows can be handed to several processors at once (NDJSON parts); inline rows are read by one.</summary>
    internal virtual bool CanReadInParallel => false;

    /// <summary>True when the rows can be read a second time (for the rules with <c>where</c> clauses).</summary>
    internal virtual bool CanReread => true;

    /// <summary>Reads every row once into one of <paramref name="processors"/>: all of them when the source can read in parallel, else the first.</summary>
    internal virtual Task ReadAsync(IReadOnlyList<RowProcessor> processors, int bufferSize, CancellationToken cancellationToken) =>
        ReadSequentiallyAsync(processors[0], bufferSize, cancellationToken);

    /// <summary>Reads every row, in dataset order, into <paramref name="sink"/>.</summary>
    internal abstract Task ReadSequentiallyAsync(IRowSink sink, int bufferSize, CancellationToken cancellationToken);

    private sealed class InlineSource(IEnumerable<byte[]> rows) : DatasetSource
    {
        private IReadOnlyList<byte[]>? _rows;

        internal override Task ReadSequentiallyAsync(IRowSink processor, int bufferSize, CancellationToken cancellationToken)
        {
            _rows ??= rows.ToList();
            var index = 0;
            foreach (var row in _rows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                index++;
                try
                {
                    processor.ProcessRow(row);
                }
                catch (JsonException ex)
                {
                    throw new InvalidDataException($"Inline row {index} is not valid JSON: {ex.Message}", ex);
                }
            }
            return Task.CompletedTask;
        }
    }

    private sealed class NdjsonSource(IReadOnlyList<Func<CancellationToken, Task<Stream>>> parts, bool disposeStreams, bool canReread) : DatasetSource
    {
        internal override bool CanReadInParallel => true;

        internal override bool CanReread => canReread;

        internal override async Task ReadAsync(IReadOnlyList<RowProcessor> processors, int bufferSize, CancellationToken cancellationToken)
        {
            if (processors.Count > 1)
            {
                await ParallelNdjsonReader.ReadAsync(parts, disposeStreams, processors, bufferSize, cancellationToken).ConfigureAwait(false);
                return;
            }
            await ReadSequentiallyAsync(processors[0], bufferSize, cancellationToken).ConfigureAwait(false);
        }

        internal override async Task ReadSequentiallyAsync(IRowSink processor, int bufferSize, CancellationToken cancellationToken)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
            try
            {
                for (var part = 0; part < parts.Count; part++)
                {
                    var stream = await parts[part](cancellationToken).ConfigureAwait(false);
                    try
                    {
                        buffer = await NdjsonReader.ReadPartAsync(stream, buffer, processor, part, cancellationToken).ConfigureAwait(false);
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
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
