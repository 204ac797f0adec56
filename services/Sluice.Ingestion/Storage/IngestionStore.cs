using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Storage;

/// <summary>A source as stored.</summary>
internal sealed record StoredSource(string Name, string DefinitionJson, long Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? Watermark);

/// <summary>
/// Sources, jobs and their checkpoints in one SQLite file (ingestion.db in the data directory),
/// with synchronous=FULL so a committed checkpoint survives a crash of the process or the machine.
/// Calls are serialized: SQLite writes one at a time anyway, and its "async" calls are synchronous.
/// </summary>
internal sealed partial class IngestionStore : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    public IngestionStore(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;");
        Execute("""
            CREATE TABLE IF NOT EXISTS sources (
              name TEXT PRIMARY KEY, definition TEXT NOT NULL, version INTEGER NOT NULL,
              created_at TEXT NOT NULL, updated_at TEXT NOT NULL, watermark TEXT);
            CREATE TABLE IF NOT EXISTS jobs (
              id TEXT PRIMARY KEY, source TEXT NOT NULL, created_at TEXT NOT NULL, body TEXT NOT NULL, final INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS jobs_by_source ON jobs(source, created_at);
            CREATE INDEX IF NOT EXISTS jobs_open ON jobs(final);
            """);
        CreateStreamTables();
        CreateSourceStateTables();
    }

    public StoredSource? GetSource(string name)
    {
        lock (_gate)
        {
            using var command = Command("SELECT name, definition, version, created_at, updated_at, watermark FROM sources WHERE name = $name", ("$name", name));
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadSource(reader) : null;
        }
    }

    /// <summary>Inserts a source; false when the name is taken.</summary>
    public bool InsertSource(string name, string definitionJson, DateTimeOffset now)
    {
        lock (_gate)
        {
            using var command = Command("INSERT OR IGNORE INTO sources(name, definition, version, created_at, updated_at) VALUES ($name, $def, 1, $now, $now)",
                ("$name", name), ("$def", definitionJson), ("$now", Time(now)));
            return command.ExecuteNonQuery() == 1;
        }
    }

    /// <summary>Replaces a source's definition; false when it does not exist.</summary>
    public bool UpdateSource(string name, string definitionJson, DateTimeOffset now)
    {
        lock (_gate)
        {
            using var command = Command("UPDATE sources SET definition = $def, version = version + 1, updated_at = $now WHERE name = $name",
                ("$name", name), ("$def", definitionJson), ("$now", Time(now)));
            return command.ExecuteNonQuery() == 1;
        }
    }

    /// <summary>Removes a source with its curated schema and the trigger objects it has seen (a new source of that name starts afresh).</summary>
    public bool DeleteSource(string name)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using var command = Command("DELETE FROM sources WHERE name = $name", ("$name", name));
            command.Transaction = transaction;
            var deleted = command.ExecuteNonQuery() == 1;
            DeleteSourceState(name, transaction);
            transaction.Commit();
            return deleted;
        }
    }

    public void SetWatermark(string name, string? watermark)
    {
        lock (_gate)
        {
            using var command = Command("UPDATE sources SET watermark = $w WHERE name = $name", ("$name", name), ("$w", watermark));
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Sources after <paramref name="after"/> in name order.</summary>
    public IReadOnlyList<StoredSource> ListSources(string after, int limit)
    {
        lock (_gate)
        {
            using var command = Command("SELECT name, definition, version, created_at, updated_at, watermark FROM sources WHERE name > $after ORDER BY name LIMIT $limit",
                ("$after", after), ("$limit", limit));
            using var reader = command.ExecuteReader();
            var list = new List<StoredSource>();
            while (reader.Read())
            {
                list.Add(ReadSource(reader));
            }
            return list;
        }
    }

    /// <summary>Every source in name order, read a page at a time (what background services go through on each tick).</summary>
    public IEnumerable<StoredSource> EachSource()
    {
        const int PageSize = 200;
        var after = "";
        while (true)
        {
            var page = ListSources(after, PageSize);
            foreach (var source in page)
            {
                yield return source;
            }
            if (page.Count < PageSize)
            {
                yield break;
            }
            after = page[^1].Name;
        }
    }

    /// <summary>Inserts a job; false when its id is taken (a repeated StartIngestion command).</summary>
    public bool InsertJob(JobRecord job)
    {
        lock (_gate)
        {
            using var command = Command("INSERT OR IGNORE INTO jobs(id, source, created_at, body, final) VALUES ($id, $source, $created, $body, $final)",
                ("$id", job.JobId), ("$source", job.Source), ("$created", Time(job.CreatedAt)), ("$body", JsonSerializer.Serialize(job)), ("$final", job.NeedsWork ? 0 : 1));
            return command.ExecuteNonQuery() == 1;
        }
    }

    /// <summary>Writes the job (one durable transaction: progress, checkpoint and parts together).</summary>
    public void SaveJob(JobRecord job)
    {
        lock (_gate)
        {
            using var command = Command("UPDATE jobs SET body = $body, final = $final WHERE id = $id",
                ("$id", job.JobId), ("$body", JsonSerializer.Serialize(job)), ("$final", job.NeedsWork ? 0 : 1));
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Reads, changes and writes a job in one step; <paramref name="change"/> returns null to leave it. Returns the job as it is after.</summary>
    public JobRecord? UpdateJob(string jobId, Func<JobRecord, JobRecord?> change)
    {
        lock (_gate)
        {
            if (GetJob(jobId) is not { } job)
            {
                return null;
            }
            if (change(job) is not { } changed)
            {
                return job;
            }
            SaveJob(changed);
            return changed;
        }
    }

    public JobRecord? GetJob(string jobId)
    {
        lock (_gate)
        {
            using var command = Command("SELECT body FROM jobs WHERE id = $id", ("$id", jobId));
            return command.ExecuteScalar() is string body ? JsonSerializer.Deserialize<JobRecord>(body) : null;
        }
    }

    /// <summary>Jobs newest first; <paramref name="before"/> is the (created_at, id) of the last one seen.</summary>
    public IReadOnlyList<JobRecord> ListJobs(string? source, (string CreatedAt, string Id)? before, int limit)
    {
        lock (_gate)
        {
            var sql = "SELECT body FROM jobs WHERE ($source IS NULL OR source = $source)"
                + (before is null ? "" : " AND (created_at < $bc OR (created_at = $bc AND id < $bi))")
                + " ORDER BY created_at DESC, id DESC LIMIT $limit";
            using var command = Command(sql, ("$source", source), ("$bc", before?.CreatedAt), ("$bi", before?.Id), ("$limit", limit));
            using var reader = command.ExecuteReader();
            var list = new List<JobRecord>();
            while (reader.Read())
            {
                list.Add(JsonSerializer.Deserialize<JobRecord>(reader.GetString(0))!);
            }
            return list;
        }
    }

    /// <summary>Jobs not in a final state: those a restart resumes or whose pipeline is still going.</summary>
    public IReadOnlyList<JobRecord> ListOpenJobs()
    {
        lock (_gate)
        {
            using var command = Command("SELECT body FROM jobs WHERE final = 0 ORDER BY created_at");
            using var reader = command.ExecuteReader();
            var list = new List<JobRecord>();
            while (reader.Read())
            {
                list.Add(JsonSerializer.Deserialize<JobRecord>(reader.GetString(0))!);
            }
            return list;
        }
    }

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    public void Dispose() => _connection.Dispose();

    private static StoredSource ReadSource(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetInt64(2),
        DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture), DateTimeOffset.Parse(reader.GetString(4), CultureInfo.InvariantCulture),
        reader.IsDBNull(5) ? null : reader.GetString(5));

    private void Execute(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }
}
