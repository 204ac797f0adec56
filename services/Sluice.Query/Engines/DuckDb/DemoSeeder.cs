using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sluice.Query.Engines.DuckDb;

/// <summary>
/// Creates the default DuckDB database at start and, unless disabled, a small <c>sales</c> table
/// so the first Data API call has something to read. Amounts are NUMERIC(10,2), so sums are exact.
/// </summary>
internal sealed class DemoSeeder(ISqlEngine engine, IOptions<QueryOptions> options) : IHostedService
{
    /// <summary>Rows of the demo table.</summary>
    public const int DemoRowCount = 40;

    // Deterministic amounts between 100 and 2,500 and a sale every 13 hours from 2024-01-01 09:00,
    // so README examples give stable answers (the PostgreSQL test fixture seeds the same rows).
    private const string SeedSql = """
        CREATE TABLE sales (id INTEGER PRIMARY KEY, region VARCHAR NOT NULL, product VARCHAR NOT NULL, amount NUMERIC(10,2) NOT NULL, sold_at TIMESTAMP NOT NULL);
        INSERT INTO sales
        SELECT i, ['north','south','east','west'][i % 4 + 1], ['widget','gadget','gizmo','doohickey','sprocket'][i % 5 + 1],
               round(100 + (i * 7919 % 2400) + i / 100.0, 2)::NUMERIC(10,2), TIMESTAMP '2024-01-01 09:00:00' + to_hours(i * 13)
        FROM range(1, 41) AS r(i);
        """;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (engine is not DuckDbSqlEngine duckDb)
        {
            return;
        }
        await using var connection = await duckDb.OpenOrCreateAsync(options.Value.DefaultDatabase, cancellationToken).ConfigureAwait(false);
        if (!options.Value.SeedDemoSchema)
        {
            return;
        }
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name = 'sales'";
        if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) > 0)
        {
            return;
        }
        command.CommandText = SeedSql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
