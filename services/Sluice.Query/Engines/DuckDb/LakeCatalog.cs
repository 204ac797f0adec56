using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;
using Microsoft.Extensions.Logging;
using Sluice.ObjectStore;

namespace Sluice.Query.Engines.DuckDb;

/// <summary>
/// The object store's raw zone as DuckDB tables, as Redshift Spectrum shows S3: every dataset
/// <c>raw/{source}/ingest_date=YYYY-MM-DD/{jobId}/part-*.ndjson</c> is the view
/// <c>lake.&lt;source&gt;</c> over its parts, with the partition column <c>ingest_date</c> from the
/// key. A local store is read in place; parts in S3 are copied once into a cache folder first,
/// because DuckDB cannot reach S3 without an extension and none is downloaded at run time.
/// </summary>
internal sealed partial class LakeCatalog : ILakeCatalog
{
    private const string RawZone = "raw/";
    private readonly IObjectStore _store;
    private readonly string _root;
    private readonly ILogger<LakeCatalog> _logger;
    private readonly SemaphoreSlim _sync = new(1, 1);
    private readonly SemaphoreSlim _attachGate = new(1, 1);

    // Per DuckDB instance, the datasets whose views it has: a statement opening while the lake is
    // unchanged skips the attach (two statements and the gate) altogether.
    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> _attached = new(StringComparer.Ordinal);

    public LakeCatalog(IObjectStore store, string cacheDirectory, ILogger<LakeCatalog> logger)
    {
        _store = store;
        _logger = logger;
        // A local store's files are the lake itself; an S3 store's parts are mirrored under the cache.
        _root = Path.GetFullPath(store is LocalDirectoryObjectStore local ? local.RootDirectory : cacheDirectory);
        Directory.CreateDirectory(Path.Combine(_root, "raw"));
    }

    /// <summary>The folder every lake file DuckDB reads lives under (what the warehouse may read).</summary>
    public string Root => _root;

    public async Task AttachAsync(DuckDBConnection connection, string instance, CancellationToken cancellationToken)
    {
        var sources = await RefreshAsync(cancellationToken).ConfigureAwait(false);
        if (_attached.TryGetValue(instance, out var attached) && attached.SequenceEqual(sources, StringComparer.Ordinal))
        {
            return; // The instance has the catalog with these views already.
        }
        // The connections of one database share its attached catalogs, so two statements opening at
        // once would both attach and both (re)create the views: DuckDB answers "already exists" or a
        // catalog write-write conflict. One attach at a time, and only views that are missing change.
        await _attachGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "ATTACH IF NOT EXISTS ':memory:' AS lake; SELECT view_name FROM duckdb_views() WHERE database_name = 'lake' AND NOT internal";
            var existing = new HashSet<string>(StringComparer.Ordinal);
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    existing.Add(reader.GetString(0));
                }
            }
            var sql = new StringBuilder();
            foreach (var source in sources.Where(s => !existing.Contains(s)))
            {
                var glob = Path.Combine(_root, "raw", source, "*", "*", "part-*.ndjson").Replace("'", "''", StringComparison.Ordinal);
                // union_by_name: jobs of one source may add fields; hive_partitioning: ingest_date=... in
                // the key becomes a DATE column whose filters skip whole partitions.
                sql.Append("CREATE OR REPLACE VIEW lake.main.\"").Append(source).Append("\" AS SELECT * FROM read_json_auto('")
                    .Append(glob).Append("', format = 'newline_delimited', hive_partitioning = true, union_by_name = true);\n");
            }
            // A dataset whose parts are all gone is no longer a table.
            foreach (var gone in existing.Except(sources, StringComparer.Ordinal))
            {
                sql.Append("DROP VIEW IF EXISTS lake.main.\"").Append(gone.Replace("\"", "\"\"", StringComparison.Ordinal)).Append("\";\n");
            }
            if (sql.Length > 0)
            {
                command.CommandText = sql.ToString();
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            _attached[instance] = sources;
        }
        finally
        {
            _attachGate.Release();
        }
    }

    public async Task<IReadOnlyList<string>> LocalPartsAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var paths = new List<string>(keys.Count);
        foreach (var key in keys)
        {
            // Keys come from messages: only a part's shape of key maps into the lake folder.
            var segments = key.Split('/');
            if (segments.Length != 5 || segments[0] + "/" != RawZone || !SourceName().IsMatch(segments[1]) || segments.Any(s => s is "" or "." or ".."))
            {
                throw new InvalidDataException($"'{key}' is not a part of the raw zone (raw/{{source}}/ingest_date=YYYY-MM-DD/{{jobId}}/part-*.ndjson).");
            }
            paths.Add(Path.Combine(_root, Path.Combine(segments)));
        }
        if (_store is LocalDirectoryObjectStore)
        {
            foreach (var (key, path) in keys.Zip(paths))
            {
                if (!File.Exists(path))
                {
                    throw new ObjectNotFoundException(key);
                }
            }
            return paths;
        }
        await _sync.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var (key, path) in keys.Zip(paths))
            {
                var info = await _store.TryGetInfoAsync(key, cancellationToken).ConfigureAwait(false) ?? throw new ObjectNotFoundException(key);
                if (!File.Exists(path) || new FileInfo(path).Length != info.Size)
                {
                    await DownloadAsync(key, path, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _sync.Release();
        }
        return paths;
    }

    /// <summary>The sources with at least one part; for S3, parts not cached yet are downloaded first.</summary>
    private async Task<IReadOnlyList<string>> RefreshAsync(CancellationToken cancellationToken)
    {
        if (_store is LocalDirectoryObjectStore)
        {
            // The store removes folders a delete leaves empty, the raw zone's own included.
            if (!Directory.Exists(Path.Combine(_root, "raw")))
            {
                return [];
            }
            return Directory.EnumerateDirectories(Path.Combine(_root, "raw"))
                .Select(Path.GetFileName)
                .OfType<string>()
                .Where(s => SourceName().IsMatch(s) && Directory.EnumerateFiles(Path.Combine(_root, "raw", s), "part-*.ndjson", SearchOption.AllDirectories).Any())
                .Order(StringComparer.Ordinal)
                .ToList();
        }
        await _sync.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var sources = new SortedSet<string>(StringComparer.Ordinal);
            await foreach (var info in _store.ListAsync(RawZone, cancellationToken).ConfigureAwait(false))
            {
                var parts = info.Key.Split('/');
                // raw / source / ingest_date=... / job / part-*.ndjson
                if (parts.Length != 5 || !SourceName().IsMatch(parts[1]) || !parts[2].StartsWith("ingest_date=", StringComparison.Ordinal)
                    || !parts[4].StartsWith("part-", StringComparison.Ordinal) || !parts[4].EndsWith(".ndjson", StringComparison.Ordinal))
                {
                    continue;
                }
                sources.Add(parts[1]);
                var local = Path.Combine(_root, Path.Combine(parts));
                if (File.Exists(local) && new FileInfo(local).Length == info.Size)
                {
                    continue;
                }
                await DownloadAsync(info.Key, local, cancellationToken).ConfigureAwait(false);
            }
            return sources.ToList();
        }
        finally
        {
            _sync.Release();
        }
    }

    private async Task DownloadAsync(string key, string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Written beside, then moved: DuckDB never reads half a part.
        var partial = path + ".partial";
        await using (var source = await _store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false))
        await using (var target = File.Create(partial))
        {
            await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
        }
        File.Move(partial, path, overwrite: true);
        QueryLog.LakePartCached(_logger, key);
    }

    // Source names become quoted SQL identifiers and folder names: plain characters only.
    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex SourceName();
}
