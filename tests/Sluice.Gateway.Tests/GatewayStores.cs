using Npgsql;

namespace Sluice.Gateway.Tests;

/// <summary>
/// The gateway's stores for tests run on both: "Sqlite" (a file in the gateway's own directory)
/// and "Postgres" (a fresh database on the server SLUICE_TEST_POSTGRES names, dropped afterwards).
/// </summary>
public sealed class GatewayStores : IAsyncDisposable
{
    private readonly string? _database;

    private GatewayStores(string kind, string? database, string? connectionString)
    {
        Kind = kind;
        _database = database;
        ConnectionString = connectionString;
    }

    public string Kind { get; }

    /// <summary>The Postgres store's connection string; null for Sqlite.</summary>
    public string? ConnectionString { get; }

    /// <summary>The settings that put a gateway on this store (fast refresh, so tests wait little).</summary>
    public IEnumerable<string> Settings => ConnectionString is null
        ? ["--Sluice:Gateway:Store=Sqlite"]
        : ["--Sluice:Gateway:Store=Postgres", "--Sluice:Gateway:PostgresConnectionString=" + ConnectionString, "--Sluice:Gateway:StoreRefreshInterval=00:00:00.200"];

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable("SLUICE_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "SLUICE_TEST_POSTGRES is not set: start PostgreSQL with `bash deploy/test-servers.sh start` and `eval \"$(bash deploy/test-servers.sh env)\"`, or run `bash tests/run.sh`.");

    public static async Task<GatewayStores> CreateAsync(string kind)
    {
        if (kind == "Sqlite")
        {
            return new GatewayStores(kind, null, null);
        }
        var database = "sluice_gateway_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(ServerConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync();
        }
        return new GatewayStores(kind, database, new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = database }.ConnectionString);
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
        if (_database is null)
        {
            return;
        }
        NpgsqlConnection.ClearAllPools();
        // An autovacuum worker may be in the fresh database: FORCE cannot end a superuser's
        // process, so the drop fails with 42501 until the worker is done. It is tried again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var admin = new NpgsqlConnection(ServerConnectionString);
                await admin.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException exception) when (attempt < 10 && exception.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse)
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt));
            }
        }
    }
}
