using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;
using Sluice.DataQuality.Evaluation;
using Sluice.Validation.CustomSql;

namespace Sluice.Validation.Filtering;

/// <summary>
/// The DuckDB copy of one evaluated dataset that DQDL's SQL runs on: CustomSql statements, <c>where</c> clauses and
/// the rules that compare with reference datasets. The NDJSON parts (or inline rows) are written to a private
/// temporary directory and loaded, when the first rule asks (so never for a ruleset without such rules) and only
/// once, into an in-memory DuckDB database as the table <c>primary</c> (DuckDB's <c>read_json</c>: types inferred over
/// every row, columns of all parts united by name, rows in dataset order). A clause returns the positions of the
/// rows it selects; the evaluator then reads those rows as written. Statements run one at a time, each within
/// <see cref="CustomSqlOptions.StatementTimeout"/>. Once loaded the database cannot reach files or change its settings.
/// </summary>
internal sealed class DuckDbDatasetCopy : ICustomSqlRunner, IAsyncDisposable
{
    /// <summary>Longest single JSON row DuckDB reads (its <c>maximum_object_size</c>), unless the dataset's byte limit is lower.</summary>
    private const int MaxObjectBytes = 64 * 1024 * 1024;

    /// <summary>Shortest <c>maximum_object_size</c> set: DuckDB reads in buffers of this size or more anyway.</summary>
    private const int MinObjectBytes = 1024 * 1024;

    private readonly Func<string, CancellationToken, Task<IReadOnlyList<string>>> _writeFiles;
    private readonly IReadOnlyDictionary<string, Func<string, CancellationToken, Task<IReadOnlyList<string>>>> _references;
    private readonly CustomSqlOptions _limits;
    private readonly ILogger _logger;
    private readonly Lock _loadGate = new();
    private readonly SemaphoreSlim _oneStatementAtATime = new(1, 1);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sluice-where-" + Guid.NewGuid().ToString("N"));
    private Task<(DuckDBConnection Connection, long Rows)>? _load;

    /// <param name="writeFiles">Writes the dataset as NDJSON files into the given directory; returns their paths in dataset order.</param>
    /// <param name="references">Reference datasets by alias (for ReferentialIntegrity, DatasetMatch, ...), each loaded as a table named by its alias.</param>
    public DuckDbDatasetCopy(Func<string, CancellationToken, Task<IReadOnlyList<string>>> writeFiles, CustomSqlOptions limits, ILogger logger,
        IReadOnlyDictionary<string, Func<string, CancellationToken, Task<IReadOnlyList<string>>>>? references = null)
    {
        _writeFiles = writeFiles;
        _references = references ?? new Dictionary<string, Func<string, CancellationToken, Task<IReadOnlyList<string>>>>();
        _limits = limits;
        _logger = logger;
    }

    public Task<double> ExecuteScalarAsync(string sql, CustomSqlContext context, CancellationToken cancellationToken) =>
        RunStatementAsync((connection, deadline) => DuckDbCustomSql.ExecuteScalar(connection, sql, deadline), cancellationToken);

    public Task<long> CountRowsAsync(string sql, CustomSqlContext context, CancellationToken cancellationToken) =>
        RunStatementAsync((connection, deadline) => DuckDbCustomSql.CountRows(connection, sql, deadline), cancellationToken);

    public Task<RowSelection> SelectRowsAsync(string whereClause, CustomSqlContext context, CancellationToken cancellationToken) =>
        SelectRowsAsync(whereClause, cancellationToken);

    public Task<ReferenceMetric> MeasureAgainstReferenceAsync(Sluice.DataQuality.Model.SimpleRule rule, CustomSqlContext context, CancellationToken cancellationToken) =>
        MeasureAgainstReferenceAsync(rule, cancellationToken);

    /// <summary>Positions (0-based, ascending) of the rows of <c>primary</c> that <paramref name="whereClause"/> selects.</summary>
    /// <exception cref="CustomSqlException">The clause is refused, DuckDB rejects it, or it runs too long.</exception>
    public async Task<RowSelection> SelectRowsAsync(string whereClause, CancellationToken cancellationToken)
    {
        WhereClauseCheck.ThrowIfNotOneExpression(whereClause);
        var (connection, rows) = await LoadOnceAsync(cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
        await _oneStatementAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => new RowSelection(Select(connection, whereClause, cancellationToken), rows), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _oneStatementAtATime.Release();
        }
    }

    /// <summary>The metric of a rule comparing <c>primary</c> with reference datasets.</summary>
    public async Task<ReferenceMetric> MeasureAgainstReferenceAsync(Sluice.DataQuality.Model.SimpleRule rule, CancellationToken cancellationToken)
    {
        var (connection, _) = await LoadOnceAsync(cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
        await _oneStatementAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var aliases = _references.Keys.ToHashSet(StringComparer.Ordinal);
            return await Task.Run(() => ReferenceRules.Measure(connection, rule, aliases), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _oneStatementAtATime.Release();
        }
    }

    private async Task<T> RunStatementAsync<T>(Func<DuckDBConnection, CancellationToken, T> run, CancellationToken cancellationToken)
    {
        var (connection, _) = await LoadOnceAsync(cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
        await _oneStatementAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // DuckDB blocks the calling thread while the statement runs.
            return await Task.Run(() =>
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(_limits.StatementTimeout);
                try
                {
                    return run(connection, deadline.Token);
                }
                catch (Exception exception) when (exception is CustomSqlException or OperationCanceledException && deadline.IsCancellationRequested)
                {
                    // An interrupted statement surfaces as a cancellation or as DuckDB's error; the deadline says why.
                    cancellationToken.ThrowIfCancellationRequested();
                    throw new CustomSqlException(string.Create(CultureInfo.InvariantCulture,
                        $"The CustomSql statement ran longer than {_limits.StatementTimeout.TotalSeconds:0.###} s and was interrupted (Sluice:Validation:CustomSql:StatementTimeout)."));
                }
            }, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _oneStatementAtATime.Release();
        }
    }

    private long[] Select(DuckDBConnection connection, string whereClause, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        // rowid numbers the rows in insertion order, which is dataset order (preserve_insertion_order).
        command.CommandText = $"SELECT rowid FROM \"primary\" WHERE ({whereClause}) ORDER BY rowid";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_limits.StatementTimeout);
        using var cancel = deadline.Token.Register(() => command.Cancel());
        var positions = new List<long>();
        try
        {
            using var reader = command.ExecuteReader();
            if (reader.FieldCount != 1)
            {
                throw new CustomSqlException("The where clause must be one boolean expression.");
            }
            while (reader.Read())
            {
                positions.Add(reader.GetInt64(0));
            }
        }
        catch (Exception exception) when (exception is DuckDBException or OperationCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // An interrupted statement surfaces as a cancellation or as an error whose text says so; the deadline says why.
            if (deadline.IsCancellationRequested)
            {
                throw new CustomSqlException(string.Create(CultureInfo.InvariantCulture,
                    $"The where clause ran longer than {_limits.StatementTimeout.TotalSeconds:0.###} s and was interrupted (Sluice:Validation:CustomSql:StatementTimeout)."));
            }
            throw new CustomSqlException(exception.Message);
        }
        return [.. positions];
    }

    /// <summary>
    /// Rethrows a failure to make the copy that is not about the data (e.g. the object store became unreachable), so the
    /// evaluation fails and can be retried instead of scoring the SQL rules as Error.
    /// </summary>
    public void ThrowIfCopyFailedForAnotherReason()
    {
        if (_load is { IsFaulted: true } load && load.Exception!.InnerException is { } failure && failure is not (CustomSqlException or InvalidDataException))
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<(DuckDBConnection Connection, long Rows)>? load;
        lock (_loadGate)
        {
            load = _load;
        }
        if (load is not null)
        {
            try
            {
                await (await load.ConfigureAwait(false)).Connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The failure was reported through the rules.
            }
        }
        _oneStatementAtATime.Dispose();
        DeleteDirectory();
    }

    private Task<(DuckDBConnection Connection, long Rows)> LoadOnceAsync(CancellationToken cancellationToken)
    {
        lock (_loadGate)
        {
            return _load ??= Task.Run(() => LoadAsync(cancellationToken), CancellationToken.None);
        }
    }

    private async Task<(DuckDBConnection Connection, long Rows)> LoadAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        Directory.CreateDirectory(_directory);
        var files = await _writeFiles(_directory, cancellationToken).ConfigureAwait(false);
        var connection = new DuckDBConnection("DataSource=:memory:");
        try
        {
            connection.Open();
            var memory = Math.Max(256, _limits.MaxBytes * 4 / (1024 * 1024));
            Execute(connection, string.Create(CultureInfo.InvariantCulture, $"SET memory_limit = '{memory}MiB'"));
            Execute(connection, "SET preserve_insertion_order = true");
            var list = string.Join(", ", files.Select(file => "'" + file.Replace("'", "''", StringComparison.Ordinal) + "'"));
            LoadTable(connection, "primary", list, MaxObjectSize(_limits));
            foreach (var (alias, writeReference) in _references)
            {
                var directory = Path.Combine(_directory, "reference-" + Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(directory);
                var referenceFiles = await writeReference(directory, cancellationToken).ConfigureAwait(false);
                if (referenceFiles.Count == 0)
                {
                    throw new CustomSqlException($"The reference dataset '{alias}' has no parts.");
                }
                LoadTable(connection, alias, string.Join(", ", referenceFiles.Select(file => "'" + file.Replace("'", "''", StringComparison.Ordinal) + "'")), MaxObjectSize(_limits));
            }
            var rows = Convert.ToInt64(Scalar(connection, "SELECT count(*) FROM \"primary\""), CultureInfo.InvariantCulture);
            if (rows > _limits.MaxRows)
            {
                throw new CustomSqlException(string.Create(CultureInfo.InvariantCulture,
                    $"The dataset has more than {_limits.MaxRows:N0} rows, the most the DuckDB copy for CustomSql and where clauses holds (Sluice:Validation:CustomSql:MaxRows)."));
            }
            if (Convert.ToInt64(Scalar(connection, "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'primary' AND lower(column_name) = 'rowid'"), CultureInfo.InvariantCulture) > 0)
            {
                throw new CustomSqlException("The dataset has a column named rowid, which hides the row numbers where clauses need.");
            }
            // From here on a statement can only read the tables: no files, no settings changes.
            Execute(connection, "SET enable_external_access = false");
            Execute(connection, "SET lock_configuration = true");
            ValidationLog.WhereCopyLoaded(_logger, rows, files.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return (connection, rows);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            // DuckDB holds the rows now (or failed to): the files are no longer needed.
            DeleteDirectory();
        }
    }

    /// <summary>
    /// Loads NDJSON files as a table, types inferred from every row (DuckDB's default sample can type a column from
    /// its first rows only, and a later value of another type then breaks the where clauses that read it).
    /// </summary>
    private static void LoadTable(DuckDBConnection connection, string table, string fileList, int maxObjectBytes)
    {
        var name = "\"" + table.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        try
        {
            Execute(connection, string.Create(CultureInfo.InvariantCulture,
                $"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_json([{fileList}], format = 'newline_delimited', union_by_name = true, sample_size = -1, maximum_object_size = {maxObjectBytes})"));
        }
        catch (DuckDBException exception)
        {
            throw new CustomSqlException($"The dataset could not be loaded into DuckDB for CustomSql and where clauses: {exception.Message}");
        }
        // A key holding values of several types becomes a JSON column, which compares only with JSON text
        // (v = '"x"'). Spark, which Glue runs, reads such a column as strings: so does this copy (v = 'x', v = '0').
        var mixed = new List<string>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT column_name FROM duckdb_columns() WHERE table_name = '{table.Replace("'", "''", StringComparison.Ordinal)}' AND data_type = 'JSON' ORDER BY column_index";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                mixed.Add(reader.GetString(0));
            }
        }
        if (mixed.Count > 0)
        {
            var replaced = string.Join(", ", mixed.Select(column =>
            {
                var quoted = "\"" + column.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
                return $"json_extract_string({quoted}, '$') AS {quoted}";
            }));
            Execute(connection, $"CREATE OR REPLACE TABLE {name} AS SELECT * REPLACE ({replaced}) FROM {name}");
        }
    }

    /// <summary>
    /// No row is longer than the whole dataset may be, and DuckDB reserves buffers of twice this size per thread:
    /// a small byte limit keeps them small.
    /// </summary>
    private static int MaxObjectSize(CustomSqlOptions limits) => (int)Math.Clamp(limits.MaxBytes + 1, MinObjectBytes, MaxObjectBytes);

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private void DeleteDirectory()
    {
        try
        {
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Temporary files; the operating system's temp cleanup removes what is left.
        }
    }
}
