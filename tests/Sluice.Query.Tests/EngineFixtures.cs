using Npgsql;

namespace Sluice.Query.Tests;

/// <summary>A query service on one engine, with a database holding the 40-row demo <c>sales</c> table.</summary>
public interface IEngineFixture
{
    QueryHost Host { get; }

    string Database { get; }

    /// <summary>The schema holding the <c>sales</c> table.</summary>
    string Schema { get; }

    /// <summary>A statement that runs until cancelled (bounded at minutes, should cancellation fail).</summary>
    string SlowSql { get; }

    /// <summary>Sluice:Query settings every engine fixture shares: one execution slot (so a statement
    /// that is not really stopped would block the next), small pages, a small per-caller quota.</summary>
    static Dictionary<string, string?> CommonSettings() => new()
    {
        ["MaxConcurrentStatements"] = "1",
        ["ResultPageRows"] = "7",
        ["MaxActiveStatementsPerCaller"] = "3",
    };
}

public sealed class DuckDbEngineFixture : IEngineFixture, IAsyncLifetime
{
    public QueryHost Host { get; private set; } = null!;

    public string Database => "dev";

    public string Schema => "main";

    public string SlowSql => "SELECT sum(a.range + b.range) FROM range(100000) AS a, range(1000000) AS b";

    public async Task InitializeAsync()
    {
        var settings = IEngineFixture.CommonSettings();
        settings["Engine"] = "DuckDb";
        Host = await QueryHost.StartAsync(settings);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>A fresh PostgreSQL database per fixture (dropped afterwards) on the server SLUICE_TEST_POSTGRES names.</summary>
public sealed class PostgresEngineFixture : IEngineFixture, IAsyncLifetime
{
    private TestPostgresDatabase? _database;

    public QueryHost Host { get; private set; } = null!;

    public string Database => _database!.Name;

    public string Schema => "public";

    public string SlowSql => "SELECT pg_sleep(300)";

    public static string ServerConnectionString => TestPostgresDatabase.ServerConnectionString;

    public async Task InitializeAsync()
    {
        _database = await TestPostgresDatabase.CreateAsync("sluice_query_");
        await using (var connection = new NpgsqlConnection(_database.ConnectionString))
        {
            await connection.OpenAsync();
            // The same rows as the DuckDB demo seeder, so both engines answer the same questions alike.
            await using var seed = new NpgsqlCommand("""
                CREATE TABLE sales (id integer PRIMARY KEY, region text NOT NULL, product text NOT NULL, amount numeric(10,2) NOT NULL, sold_at timestamp NOT NULL);
                INSERT INTO sales
                SELECT i, (ARRAY['north','south','east','west'])[i % 4 + 1], (ARRAY['widget','gadget','gizmo','doohickey','sprocket'])[i % 5 + 1],
                       round((100 + (i * 7919 % 2400) + i / 100.0)::numeric, 2), timestamp '2024-01-01 09:00:00' + make_interval(hours => i * 13)
                FROM generate_series(1, 40) AS i;
                """, connection);
            await seed.ExecuteNonQueryAsync();
        }
        var settings = IEngineFixture.CommonSettings();
        settings["Engine"] = "Postgres";
        settings["PostgresConnectionString"] = ServerConnectionString;
        Host = await QueryHost.StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

/// <summary>
/// The Redshift engine end to end: a "warehouse" query service on DuckDB serving the Data API
/// (port 0, one configured key), and the service under test on the Redshift engine pointed at that
/// endpoint with that key, so every call crosses the real JSON 1.1 protocol with SigV4.
/// </summary>
public sealed class RedshiftEngineFixture : IEngineFixture, IAsyncLifetime
{
    public const string AccessKeyId = "AKIDSLUICEWAREHOUSE1";
    public const string SecretAccessKey = "warehouse-secret/xyz+987";

    /// <summary>The query service playing Redshift: DuckDB behind its Data API endpoint.</summary>
    public QueryHost Warehouse { get; private set; } = null!;

    public QueryHost Host { get; private set; } = null!;

    public string Database => "dev";

    public string Schema => "main";

    public string SlowSql => "SELECT sum(a.range + b.range) FROM range(100000) AS a, range(1000000) AS b";

    /// <summary>
    /// Configuration beyond Sluice:Query for the service under test only, e.g. its broker. The
    /// warehouse keeps its own in-memory bus: it plays Redshift, which is not on Sluice's bus.
    /// </summary>
    public IReadOnlyDictionary<string, string?>? HostConfiguration { get; init; }

    /// <summary>Settings of a Redshift-engine service pointed at <paramref name="warehouse"/> with <paramref name="secret"/>.</summary>
    public static Dictionary<string, string?> RedshiftSettings(QueryHost warehouse, string secret)
    {
        var settings = IEngineFixture.CommonSettings();
        settings["Engine"] = "Redshift";
        settings["DataApiPort"] = "-1";
        settings["Redshift:ClusterIdentifier"] = "sluice-warehouse";
        settings["Redshift:DbUser"] = "analyst";
        settings["Redshift:Region"] = "us-east-1";
        settings["Redshift:EndpointUrl"] = warehouse.DataApiUrl;
        settings["Redshift:AccessKeyId"] = AccessKeyId;
        settings["Redshift:SecretAccessKey"] = secret;
        settings["Redshift:FirstStatusCheckDelay"] = "00:00:00.020";
        settings["Redshift:MaxStatusCheckDelay"] = "00:00:00.300";
        return settings;
    }

    public async Task InitializeAsync()
    {
        Warehouse = await QueryHost.StartAsync(new Dictionary<string, string?>
        {
            // Smaller pages than the service under test: copying a result follows several remote pages.
            ["ResultPageRows"] = "5",
            ["DataApiAccessKeys:0:AccessKeyId"] = AccessKeyId,
            ["DataApiAccessKeys:0:SecretAccessKey"] = SecretAccessKey,
            ["DataApiRegion"] = "us-east-1",
        });
        Host = await QueryHost.StartAsync(RedshiftSettings(Warehouse, SecretAccessKey), HostConfiguration);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Warehouse.DisposeAsync();
    }
}
