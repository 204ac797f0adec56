using DuckDB.NET.Data;

namespace Sluice.Query.Engines.DuckDb;

/// <summary>The lake's datasets as DuckDB tables: attaches catalog <c>lake</c> to a connection.</summary>
internal interface ILakeCatalog
{
    /// <summary>Attaches catalog <c>lake</c> with one view per dataset (<c>lake.&lt;source&gt;</c>) to <paramref name="connection"/>.</summary>
    Task AttachAsync(DuckDBConnection connection, CancellationToken cancellationToken);
}
