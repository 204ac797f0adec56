using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Sluice.DataQuality.Evaluation;
using SQLitePCL;

namespace Sluice.Validation.CustomSql;

/// <summary>
/// The CustomSql runner of one evaluation: an in-memory SQLite database holding the evaluated dataset as the table
/// <c>primary</c>. The dataset is copied when the first CustomSql statement asks for it (so never for a ruleset without
/// CustomSql) and only once, however many CustomSql rules there are; the statements then run one at a time on the
/// read-only copy, each within <see cref="CustomSqlOptions.StatementTimeout"/>. Disposing it frees the copy.
/// </summary>
internal sealed class SqliteDatasetCopy : ICustomSqlRunner, IAsyncDisposable
{
    /// <summary>VM instructions between two checks of the statement's deadline (SQLite's progress handler).</summary>
    private const int ProgressCheckInterval = 10_000;

    private static readonly delegate_progress StopWhenCancelled = state => ((StrongBox<CancellationToken>)state).Value.IsCancellationRequested ? 1 : 0;

    private readonly Func<DatasetTableWriter, CancellationToken, Task> _copyRows;
    private readonly CustomSqlOptions _limits;
    private readonly ILogger _logger;
    private readonly Lock _loadGate = new();
    private readonly SemaphoreSlim _oneStatementAtATime = new(1, 1);
    private Task<ReadOnlyDatabase>? _load;

    // The SQLite provider is process-wide: set it once, not per copy while other connections are open.
    static SqliteDatasetCopy() => Batteries_V2.Init();

    /// <param name="copyRows">Feeds every row of the dataset to the writer, in order.</param>
    public SqliteDatasetCopy(Func<DatasetTableWriter, CancellationToken, Task> copyRows, CustomSqlOptions limits, ILogger logger)
    {
        _copyRows = copyRows;
        _limits = limits;
        _logger = logger;
    }

    public Task<double> ExecuteScalarAsync(string sql, CustomSqlContext context, CancellationToken cancellationToken) =>
        RunAsync(database => database.ExecuteScalar(sql), cancellationToken);

    public Task<long> CountRowsAsync(string sql, CustomSqlContext context, CancellationToken cancellationToken) =>
        RunAsync(database => database.CountRows(sql), cancellationToken);

    /// <summary>
    /// Rethrows a failure to copy the dataset that is not about the data (e.g. the object store became unreachable),
    /// so that the evaluation fails and can be retried instead of scoring CustomSql rules as Error.
    /// </summary>
    public void ThrowIfCopyFailedForAnotherReason()
    {
        if (_load is { IsFaulted: true } load && load.Exception!.InnerException is { } failure && failure is not (CustomSqlException or InvalidDataException))
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<ReadOnlyDatabase>? load;
        lock (_loadGate)
        {
            load = _load;
        }
        if (load is not null)
        {
            try
            {
                (await load.ConfigureAwait(false)).Handle.Dispose();
            }
            catch (Exception)
            {
                // The failure was reported through the rules (or rethrown by ThrowIfCopyFailedForAnotherReason).
            }
        }
        _oneStatementAtATime.Dispose();
    }

    private async Task<T> RunAsync<T>(Func<ReadOnlyDatabase, T> run, CancellationToken cancellationToken)
    {
        var database = await LoadOnceAsync(cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
        await _oneStatementAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // SQLite blocks the calling thread while the statement runs.
            return await Task.Run(() => RunWithDeadline(database, run, cancellationToken), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _oneStatementAtATime.Release();
        }
    }

    private T RunWithDeadline<T>(ReadOnlyDatabase database, Func<ReadOnlyDatabase, T> run, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_limits.StatementTimeout);
        // SQLite calls the progress handler every few thousand VM instructions of the running statement; a non-zero
        // answer interrupts it (SQLITE_INTERRUPT). Unlike sqlite3_interrupt from a timer thread, it cannot race with
        // the statement's start or end and leave a stale interrupt for the next statement.
        raw.sqlite3_progress_handler(database.Handle, ProgressCheckInterval, StopWhenCancelled, new StrongBox<CancellationToken>(deadline.Token));
        try
        {
            return run(database);
        }
        catch (StatementInterruptedException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new CustomSqlException(string.Create(CultureInfo.InvariantCulture,
                $"The CustomSql statement ran longer than {_limits.StatementTimeout.TotalSeconds:0.###} s and was interrupted (Sluice:Validation:CustomSql:StatementTimeout)."));
        }
        finally
        {
            raw.sqlite3_progress_handler(database.Handle, 0, null, null);
        }
    }

    private Task<ReadOnlyDatabase> LoadOnceAsync(CancellationToken cancellationToken)
    {
        lock (_loadGate)
        {
            // Every rule of one evaluation passes the same token, so the first caller's token is the evaluation's.
            return _load ??= Task.Run(() => LoadAsync(cancellationToken), CancellationToken.None);
        }
    }

    private async Task<ReadOnlyDatabase> LoadAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var db = Open();
        try
        {
            Execute(db, "BEGIN");
            using (var writer = new DatasetTableWriter(db, _limits))
            {
                await _copyRows(writer, cancellationToken).ConfigureAwait(false);
                writer.Complete();
                Execute(db, "COMMIT");
                ValidationLog.CustomSqlCopyLoaded(_logger, writer.RowCount, writer.ColumnCount, writer.ByteCount, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            return new ReadOnlyDatabase(db);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    private sqlite3 Open()
    {
        var opened = raw.sqlite3_open_v2(":memory:", out var db, raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_CREATE, null);
        if (opened != raw.SQLITE_OK)
        {
            var message = db is null ? $"SQLite error {opened}" : raw.sqlite3_errmsg(db).utf8_to_string();
            db?.Dispose();
            throw new InvalidOperationException($"Could not open an in-memory SQLite database for CustomSql: {message}");
        }
        try
        {
            // An in-memory database has no file to protect, so no journal; the page cap bounds its memory.
            Execute(db, "PRAGMA journal_mode = OFF");
            Execute(db, string.Create(CultureInfo.InvariantCulture, $"PRAGMA max_page_count = {MaxPages(_limits.MaxBytes)}"));
            return db;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Pages of the default 4 KiB size for about twice the JSON bytes allowed (SQLite records are rarely larger than their JSON).</summary>
    private static long MaxPages(long maxBytes) => Math.Clamp(maxBytes / 4096 * 2, 256, uint.MaxValue - 1L);

    private static void Execute(sqlite3 db, string sql)
    {
        if (raw.sqlite3_exec(db, sql) != raw.SQLITE_OK)
        {
            throw new InvalidOperationException($"SQLite failed on '{sql}': {raw.sqlite3_errmsg(db).utf8_to_string()}");
        }
    }
}
