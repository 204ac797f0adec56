using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Sluice.ObjectStore;
using Sluice.Validation.CustomSql;
using Sluice.Validation.References;

namespace Sluice.Validation.Filtering;

/// <summary>Makes the <see cref="DuckDbDatasetCopy"/> of each evaluation from the same parts or inline rows the evaluator reads.</summary>
internal sealed class DuckDbDatasetCopies(IObjectStore objects, IOptions<ValidationOptions> options, ILogger<DuckDbDatasetCopy> logger, WarehouseTableReader tables)
{
    private const int CopyBufferSize = 81_920;

    /// <summary>A copy of the NDJSON parts <paramref name="keys"/>, in order, with reference datasets by alias.</summary>
    public DuckDbDatasetCopy OfObjects(IReadOnlyList<string> keys, IReadOnlyDictionary<string, ReferenceDataset>? references = null) =>
        new(WriteParts(keys), options.Value.CustomSql, logger, References(references));

    /// <summary>A copy of inline rows (each a JSON object), with reference datasets by alias.</summary>
    public DuckDbDatasetCopy OfRows(IReadOnlyList<JsonElement> rows, IReadOnlyDictionary<string, ReferenceDataset>? references = null) =>
        new(WriteRows(rows, options.Value.CustomSql), options.Value.CustomSql, logger, References(references));

    private Dictionary<string, Func<string, CancellationToken, Task<IReadOnlyList<string>>>>? References(IReadOnlyDictionary<string, ReferenceDataset>? references) =>
        references?.ToDictionary(pair => pair.Key, pair => pair.Value switch
        {
            ReferenceParts parts => WriteParts(parts.Keys),
            ReferenceTable table => tables.Writer(pair.Key, table.Name),
            _ => throw new ArgumentException($"Unknown reference dataset kind {pair.Value.GetType().Name}.", nameof(references)),
        }, StringComparer.Ordinal);

    private Func<string, CancellationToken, Task<IReadOnlyList<string>>> WriteParts(IReadOnlyList<string> keys) => async (directory, cancellationToken) =>
    {
        var limits = options.Value.CustomSql;
        var files = new List<string>(keys.Count);
        long bytes = 0;
        var buffer = new byte[CopyBufferSize];
        for (var i = 0; i < keys.Count; i++)
        {
            var path = Path.Combine(directory, $"part-{i:D5}.ndjson");
            var source = await objects.OpenReadAsync(keys[i], cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
                await using (target.ConfigureAwait(false))
                {
                    int read;
                    while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        bytes += read;
                        if (bytes > limits.MaxBytes)
                        {
                            throw TooManyBytes(limits);
                        }
                        await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            files.Add(path);
        }
        return files;
    };

    private static Func<string, CancellationToken, Task<IReadOnlyList<string>>> WriteRows(IReadOnlyList<JsonElement> rows, CustomSqlOptions limits) =>
        async (directory, cancellationToken) =>
        {
            var path = Path.Combine(directory, "rows.ndjson");
            var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferSize, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                long bytes = 0;
                foreach (var row in rows)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    // The row's JSON as given (its UTF-8 bytes, as a landed part would hold it) and a newline.
                    var line = Encoding.UTF8.GetBytes(row.GetRawText() + "\n");
                    bytes += line.Length;
                    if (bytes > limits.MaxBytes)
                    {
                        throw TooManyBytes(limits);
                    }
                    await file.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                }
            }
            return [path];
        };

    private static CustomSqlException TooManyBytes(CustomSqlOptions limits) => new(string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"The dataset is larger than {limits.MaxBytes:N0} bytes, the most the DuckDB copy for CustomSql and where clauses holds (Sluice:Validation:CustomSql:MaxBytes)."));
}
