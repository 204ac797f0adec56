using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sluice.Query.Engines;

/// <summary>
/// Creates the default SQLite database at start and, unless disabled, a small <c>sales</c> table
/// so the first Data API call has something to read.
/// </summary>
internal sealed class SqliteDemoSeeder(ISqlEngine engine, IOptions<QueryOptions> options) : IHostedService
{
    private static readonly string[] Regions = ["north", "south", "east", "west"];
    private static readonly string[] Products = ["widget", "gadget", "gizmo", "doohickey", "sprocket"];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (engine is not SqliteSqlEngine sqlite)
        {
            return Task.CompletedTask;
        }
        using var connection = sqlite.OpenOrCreate(options.Value.DefaultDatabase);
        using var command = connection.CreateCommand();
        // WAL lets readers run while a statement writes.
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
        if (!options.Value.SeedDemoSchema)
        {
            return Task.CompletedTask;
        }
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sales'";
        if (Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0)
        {
            return Task.CompletedTask;
        }
        using var transaction = connection.BeginTransaction();
        command.Transaction = transaction;
        command.CommandText = "CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT NOT NULL, product TEXT NOT NULL, amount REAL NOT NULL, sold_at TEXT NOT NULL)";
        command.ExecuteNonQuery();
        command.CommandText = "INSERT INTO sales (id, region, product, amount, sold_at) VALUES (:id, :region, :product, :amount, :sold_at)";
        var id = command.Parameters.Add(":id", Microsoft.Data.Sqlite.SqliteType.Integer);
        var region = command.Parameters.Add(":region", Microsoft.Data.Sqlite.SqliteType.Text);
        var product = command.Parameters.Add(":product", Microsoft.Data.Sqlite.SqliteType.Text);
        var amount = command.Parameters.Add(":amount", Microsoft.Data.Sqlite.SqliteType.Real);
        var soldAt = command.Parameters.Add(":sold_at", Microsoft.Data.Sqlite.SqliteType.Text);
        var start = new DateTime(2024, 1, 1, 9, 0, 0, DateTimeKind.Utc);
        for (var i = 1; i <= DemoRowCount; i++)
        {
            id.Value = i;
            region.Value = Regions[i % Regions.Length];
            product.Value = Products[i % Products.Length];
            // Deterministic amounts between 100 and 2,500 so README examples give stable answers.
            amount.Value = Math.Round(100 + (i * 7919 % 2400) + i / 100.0, 2);
            soldAt.Value = start.AddHours(i * 13).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            command.ExecuteNonQuery();
        }
        transaction.Commit();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Rows of the demo table.</summary>
    public const int DemoRowCount = 40;
}
