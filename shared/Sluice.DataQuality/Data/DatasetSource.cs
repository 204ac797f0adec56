using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.DataQuality.Data;

/// <summary>
/// A dataset to evaluate: NDJSON parts read in order as one table (the object store yields one stream per
/// part), or inline rows. Every source is read exactly once.
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
        return new NdjsonSource(list.Select(stream => (Func<CancellationToken, Task<Stream>>)(_ => Task.FromResult(stream))).ToList(), disposeStreams: false);
    }

    /// <summary>NDJSON parts opened one at a time, in order; each opened stream is disposed after it was read.</summary>
    public static DatasetSource FromNdjsonParts(IEnumerable<Func<CancellationToken, Task<Stream>>> openParts)
    {
        ArgumentNullException.ThrowIfNull(openParts);
        return new NdjsonSource(openParts.ToList(), disposeStreams: true);
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

    /// <summary>Reads every row once into one of <paramref name="processors"/>: all of them when the source can read in parallel, else the first.</summary>
    internal abstract Task ReadAsync(IReadOnlyList<RowProcessor> processors, int bufferSize, CancellationToken cancellationToken);

    private sealed class InlineSource(IEnumerable<byte[]> rows) : DatasetSource
    {
        internal override Task ReadAsync(IReadOnlyList<RowProcessor> processors, int bufferSize, CancellationToken cancellationToken)
        {
            var processor = processors[0];
            var index = 0;
            foreach (var row in rows)
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

    private sealed class NdjsonSource(IReadOnlyList<Func<CancellationToken, Task<Stream>>> parts, bool disposeStreams) : DatasetSource
    {
        internal override bool CanReadInParallel => true;

        internal override async Task ReadAsync(IReadOnlyList<RowProcessor> processors, int bufferSize, CancellationToken cancellationToken)
        {
            if (processors.Count > 1)
            {
                await ParallelNdjsonReader.ReadAsync(parts, disposeStreams, processors, bufferSize, cancellationToken).ConfigureAwait(false);
                return;
            }
            var processor = processors[0];
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
