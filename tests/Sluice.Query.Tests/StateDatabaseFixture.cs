namespace Sluice.Query.Tests;

/// <summary>A state database (Sluice:Query:State on PostgreSQL) shared by one test class.</summary>
public sealed class StateDatabaseFixture : IAsyncLifetime
{
    private TestPostgresDatabase? _database;

    public string ConnectionString => _database!.ConnectionString;

    /// <summary>Host configuration keeping the query service's state in this database.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Sluice:Query:State:Store"] = "Postgres",
        ["Sluice:Query:State:ConnectionString"] = ConnectionString,
    };

    public async Task InitializeAsync() => _database = await TestPostgresDatabase.CreateAsync("sluice_state_");

    public async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
