using DuckDB.NET.Data;

namespace Sluice.Query.Engines.DuckDb;

/// <summary>The lake's datasets as DuckDB tables: attaches catalog <c>lake</c> to a connection.</summary>
internal interface ILakeCatalog
{
    /// <summary>Attaches catalog <c>lake</c> with one view per dataset (<c>lake.&lt;source&gt;</c>) to <paramref name="connection"/>.</summary>
    Task AttachAsync(DuckDBConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// The files DuckDB reads for the raw-zone parts <paramref name="keys"/>, and only those: in
    /// place for a local store; for S3 each part is copied into the lake cache first if it is not
    /// there yet (nothing else is listed or copied).
    /// </summary>
    /// <exception cref="Sluice.ObjectStore.ObjectNotFoundException">A part does not exist.</exception>
    Task<IReadOnlyList<string>> LocalPartsAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);
}
