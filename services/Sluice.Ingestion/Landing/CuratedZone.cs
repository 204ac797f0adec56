using Sluice.Ingestion.Storage;
using Sluice.ObjectStore;

namespace Sluice.Ingestion.Landing;

/// <summary>
/// Lands the Parquet copy of a job's NDJSON parts in the curated zone, under
/// {curated prefix}/{source}/ingest_date=.../{jobId}/part-00000.parquet beside the raw part of the
/// same number. The file is built in the job's spool directory and put in one all-or-nothing write,
/// as the raw parts are. Columns the source's stored schema lacks are added to it first, so every
/// part of every run writes a column with one type.
/// </summary>
internal sealed class CuratedZone(IObjectStore objects, IngestionStore store, string source, string keyPrefix, string workDirectory)
{
    public string PartKey(int index) => $"{keyPrefix}/part-{index:D5}.parquet";

    /// <summary>Writes <paramref name="ndjson"/> (read from its start) as curated part <paramref name="index"/>.</summary>
    public async Task<LandedPart> LandAsync(FileStream ndjson, int index, CancellationToken cancellationToken)
    {
        ndjson.Position = 0;
        var schema = CuratedSchema.FromJson(store.GetCuratedSchema(source));
        var observed = ParquetPart.Observe(ndjson, schema);
        if (observed.Count > 0)
        {
            schema = CuratedSchema.FromJson(store.UpdateCuratedSchema(source, current =>
            {
                var stored = CuratedSchema.FromJson(current);
                var grown = stored.With(observed);
                return ReferenceEquals(grown, stored) && current is not null ? current : grown.ToJson();
            }));
        }
        var path = Path.Combine(workDirectory, "current.parquet");
        try
        {
            await using var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16);
            ndjson.Position = 0;
            var rows = await ParquetPart.WriteAsync(ndjson, schema, file, cancellationToken).ConfigureAwait(false);
            file.Position = 0;
            var key = PartKey(index);
            var checksum = await PartSpool.PutWithChecksumAsync(objects, key, file, "application/vnd.apache.parquet", cancellationToken).ConfigureAwait(false);
            return new LandedPart(key, rows, file.Length, checksum);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
