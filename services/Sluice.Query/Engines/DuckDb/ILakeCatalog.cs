using DuckDB.NET.Data;

namespace Sluice.Query.Engines.DuckDb;

/// <summary>The lake's datasets as DuckDB tables: attaches catalog <c>lake</c> to a connection.</summary>
internal interface ILakeCatalog
{
    /// <summary>
    /// Attaches catalog <c>lake</c> with one view per dataset (<c>lake.&lt;source&gt;</c>) to <paramref name="connection"/>.
    /// <paramref name="instance"/> names the DuckDB instance the connection belongs to (its database file), which must
    /// stay open while the catalog is in use: the views an instance already has for the lake's current datasets are
    /// not looked up again.
    /// </summary>
    Task AttachAsync(DuckDBConnection connection, string instance, CancellationToken cancellationToken);

    /// <summary>
    /// The files DuckDB reads for the raw-zone parts <paramref name="keys"/>, and only those: in
    /// place for a local store; for S3 each part is copied into the lake cache first if it is not
    /// there yet (nothing else is listed or copied).
    /// </summary>
    /// <exception cref="Sluice.ObjectStore.ObjectNotFoundException">A part does not exist.</exception>
    Task<IReadOnlyList<string>> LocalPartsAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);
}
