using Npgsql;

namespace Sluice.Tests.Shared;

/// <summary>A fresh database on the PostgreSQL server SLUICE_TEST_POSTGRES names, dropped when disposed (the query and gateway tests).</summary>
public sealed class TestPostgresDatabase : IAsyncDisposable
{
    private TestPostgresDatabase(string name) => Name = name;

    public string Name { get; }

    /// <summary>A connection string to this database.</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = Name }.ConnectionString;

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable("SLUICE_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "SLUICE_TEST_POSTGRES is not set: start PostgreSQL with `bash deploy/test-servers.sh start` and `eval \"$(bash deploy/test-servers.sh env)\"`, or run `bash tests/run.sh`.");

    /// <summary>Creates a database named <paramref name="prefix"/> and a random suffix.</summary>
    public static async Task<TestPostgresDatabase> CreateAsync(string prefix)
    {
        var database = new TestPostgresDatabase(prefix + Guid.NewGuid().ToString("N")[..12]);
        await using var admin = new NpgsqlConnection(ServerConnectionString);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {database.Name}", admin);
        await create.ExecuteNonQueryAsync();
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        // An autovacuum worker may be in the fresh database (seen right after a cluster start):
        // FORCE cannot end a superuser's process, so the drop fails with 42501 until the worker
        // is done. It is tried again a few times.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var admin = new NpgsqlConnection(ServerConnectionString);
                await admin.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException exception) when (attempt < 10 && exception.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse)
            {
                Console.Error.WriteLine($"Dropping test database {Name} failed ({exception.SqlState}: {exception.MessageText}); trying again.");
                await Task.Delay(TimeSpan.FromSeconds(attempt));
            }
        }
    }
}
