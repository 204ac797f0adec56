using Npgsql;

namespace Sluice.Gateway.Tests;

/// <summary>
/// The gateway's stores for tests run on both: "Sqlite" (a file in the gateway's own directory)
/// and "Postgres" (a fresh database on the server SLUICE_TEST_POSTGRES names, dropped afterwards).
/// </summary>
public sealed class GatewayStores : IAsyncDisposable
{
    private readonly TestPostgresDatabase? _database;

    private GatewayStores(string kind, TestPostgresDatabase? database)
    {
        Kind = kind;
        _database = database;
        ConnectionString = database?.ConnectionString;
    }

    public string Kind { get; }

    /// <summary>The Postgres store's connection string; null for Sqlite.</summary>
    public string? ConnectionString { get; }

    /// <summary>The settings that put a gateway on this store (fast refresh, so tests wait little).</summary>
    public IEnumerable<string> Settings => ConnectionString is null
        ? ["--Sluice:Gateway:Store=Sqlite"]
        : ["--Sluice:Gateway:Store=Postgres", "--Sluice:Gateway:PostgresConnectionString=" + ConnectionString, "--Sluice:Gateway:StoreRefreshInterval=00:00:00.200"];

    public static async Task<GatewayStores> CreateAsync(string kind)
    {
        if (kind == "Sqlite")
        {
            return new GatewayStores(kind, null);
        }
        return new GatewayStores(kind, await TestPostgresDatabase.CreateAsync("sluice_gateway_"));
    }

    /// <summary>Runs <paramref name="sql"/> on the Postgres store's database and returns the first column of each row.</summary>
    public async Task<List<string>> QueryAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString ?? throw new InvalidOperationException("Only the Postgres store is queried."));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        }
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
