using System.Text.Json;
using Microsoft.Extensions.Options;
using Sluice.ObjectStore;

namespace Sluice.Validation.CustomSql;

/// <summary>
/// The service's default CustomSql engine: makes the <see cref="SqliteDatasetCopy"/> of each evaluation, from the
/// same NDJSON parts or inline rows the evaluator reads. Landed data is not in the warehouse yet when it is validated
/// (it is loaded only after it passed), so CustomSql runs on this embedded copy instead.
/// </summary>
internal sealed class SqliteDatasetCopies(IObjectStore objects, IOptions<ValidationOptions> options, ILogger<SqliteDatasetCopy> logger)
{
    /// <summary>A copy of the NDJSON parts <paramref name="keys"/>, read in order as one table when first needed.</summary>
    public SqliteDatasetCopy OfObjects(IReadOnlyList<string> keys) => new(async (table, cancellationToken) =>
    {
        foreach (var key in keys)
        {
            var stream = await objects.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                await NdjsonRows.CopyAsync(stream, key, table, cancellationToken).ConfigureAwait(false);
            }
        }
    }, options.Value.CustomSql, logger);

    /// <summary>A copy of inline rows (each a JSON object), made when first needed.</summary>
    public SqliteDatasetCopy OfRows(IReadOnlyList<JsonElement> rows) => new((table, cancellationToken) =>
    {
        for (var i = 0; i < rows.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                table.AddRow(rows[i]);
            }
            catch (InvalidDataException exception)
            {
                throw new InvalidDataException($"Inline row {i + 1}: {exception.Message}", exception);
            }
        }
        return Task.CompletedTask;
    }, options.Value.CustomSql, logger);
}
