using System.Text.Json;

namespace Sluice.Ingestion.Storage;

/// <summary>What a source keeps beside its definition: its curated schema, and the trigger objects it has run for.</summary>
internal sealed partial class IngestionStore
{
    private void CreateSourceStateTables() => Execute("""
        CREATE TABLE IF NOT EXISTS curated_schemas (source TEXT PRIMARY KEY, columns TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS trigger_objects (
          source TEXT NOT NULL, key TEXT NOT NULL, version TEXT NOT NULL, job_id TEXT NOT NULL,
          PRIMARY KEY (source, key, version));
        """);

    /// <summary>The source's curated columns as JSON; null before its first curated part.</summary>
    public string? GetCuratedSchema(string source)
    {
        lock (_gate)
        {
            using var command = Command("SELECT columns FROM curated_schemas WHERE source = $source", ("$source", source));
            return command.ExecuteScalar() as string;
        }
    }

    /// <summary>Reads, changes and writes the source's curated columns in one step (two jobs of a source may add columns at once).</summary>
    public string UpdateCuratedSchema(string source, Func<string?, string> change)
    {
        lock (_gate)
        {
            var current = GetCuratedSchema(source);
            var changed = change(current);
            if (changed != current)
            {
                using var command = Command("INSERT INTO curated_schemas(source, columns) VALUES ($source, $columns) ON CONFLICT(source) DO UPDATE SET columns = $columns",
                    ("$source", source), ("$columns", changed));
                command.ExecuteNonQuery();
            }
            return changed;
        }
    }

    /// <summary>
    /// Records that the source has seen version <paramref name="version"/> of trigger object
    /// <paramref name="key"/> and inserts its job, in one transaction: a restart finds both or neither.
    /// False (and no job) when that version was seen before.
    /// </summary>
    public bool InsertTriggeredJob(string key, string version, JobRecord job)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using var seen = Command("INSERT OR IGNORE INTO trigger_objects(source, key, version, job_id) VALUES ($source, $key, $version, $job)",
                ("$source", job.Source), ("$key", key), ("$version", version), ("$job", job.JobId));
            seen.Transaction = transaction;
            if (seen.ExecuteNonQuery() == 0)
            {
                return false;
            }
            using var insert = Command("INSERT INTO jobs(id, source, created_at, body, final) VALUES ($id, $source, $created, $body, 0)",
                ("$id", job.JobId), ("$source", job.Source), ("$created", Time(job.CreatedAt)), ("$body", JsonSerializer.Serialize(job)));
            insert.Transaction = transaction;
            insert.ExecuteNonQuery();
            transaction.Commit();
            return true;
        }
    }

    /// <summary>Whether the source has run for this version of the trigger object.</summary>
    public bool HasSeenTriggerObject(string source, string key, string version)
    {
        lock (_gate)
        {
            using var command = Command("SELECT 1 FROM trigger_objects WHERE source = $source AND key = $key AND version = $version",
                ("$source", source), ("$key", key), ("$version", version));
            return command.ExecuteScalar() is not null;
        }
    }

    private void DeleteSourceState(string source, Microsoft.Data.Sqlite.SqliteTransaction transaction)
    {
        foreach (var table in new[] { "curated_schemas", "trigger_objects" })
        {
            using var command = Command($"DELETE FROM {table} WHERE source = $source", ("$source", source));
            command.Transaction = transaction;
            command.ExecuteNonQuery();
        }
    }
}
