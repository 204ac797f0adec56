using System.Globalization;
using SQLitePCL;

namespace Sluice.Validation.CustomSql;

/// <summary>
/// Runs the SQL of CustomSql rules on a loaded copy, which from then on cannot be changed: the constructor installs
/// an authorizer that allows reading and nothing else (so DELETE, ATTACH, PRAGMA, DDL and transactions fail when
/// prepared), forbids attaching databases, and sets query_only. A statement is also refused unless it is exactly one
/// read-only statement that returns columns, which is what a SELECT or WITH … SELECT is.
/// </summary>
internal sealed class ReadOnlyDatabase
{
    /// <summary>Longest string or blob a statement may build (e.g. with group_concat or zeroblob), so a query cannot exhaust memory that way.</summary>
    private const int MaxValueLength = 64 * 1024 * 1024;

    private const string SingleSelectOnly = "CustomSql may only read the dataset: a single SELECT (or WITH … SELECT) statement is allowed";

    private static readonly strdelegate_authorizer Authorizer = Authorize;

    private readonly sqlite3 _db;
    private readonly RefusedAction _refused = new();

    /// <summary>Makes <paramref name="db"/> read-only for every statement prepared from now on.</summary>
    public ReadOnlyDatabase(sqlite3 db)
    {
        _db = db;
        Check(db, raw.sqlite3_exec(db, "PRAGMA query_only = ON"));
        Check(db, raw.sqlite3_db_config(db, raw.SQLITE_DBCONFIG_DEFENSIVE, 1, out _));
        raw.sqlite3_limit(db, raw.SQLITE_LIMIT_ATTACHED, 0);
        raw.sqlite3_limit(db, raw.SQLITE_LIMIT_LENGTH, MaxValueLength);
        Check(db, raw.sqlite3_set_authorizer(db, Authorizer, _refused));
    }

    /// <summary>The connection (to install the progress handler that enforces the statement timeout, and to close it).</summary>
    public sqlite3 Handle => _db;

    /// <summary>Runs a statement that must return one numeric value (the rule has an expression).</summary>
    /// <exception cref="CustomSqlException">The statement was refused or failed, or its result is not one number.</exception>
    /// <exception cref="StatementInterruptedException">The statement was interrupted.</exception>
    public double ExecuteScalar(string sql)
    {
        using var statement = Prepare(sql);
        var stepped = raw.sqlite3_step(statement);
        if (stepped == raw.SQLITE_DONE)
        {
            throw new CustomSqlException("The CustomSql statement returned no rows; a rule with an expression needs a single numeric value, e.g. select count(*) from primary.");
        }
        CheckStep(stepped);
        var columns = raw.sqlite3_column_count(statement);
        if (columns != 1)
        {
            throw new CustomSqlException(string.Create(CultureInfo.InvariantCulture,
                $"The CustomSql statement returned {columns} columns; a rule with an expression needs a single numeric value."));
        }
        var value = raw.sqlite3_column_type(statement, 0) switch
        {
            raw.SQLITE_INTEGER => raw.sqlite3_column_int64(statement, 0),
            raw.SQLITE_FLOAT => raw.sqlite3_column_double(statement, 0),
            raw.SQLITE_NULL => throw new CustomSqlException("The CustomSql statement returned NULL; a rule with an expression needs a numeric value."),
            raw.SQLITE_TEXT => throw new CustomSqlException(
                $"The CustomSql statement returned the text '{Shorten(raw.sqlite3_column_text(statement, 0).utf8_to_string())}'; a rule with an expression needs a numeric value."),
            _ => throw new CustomSqlException("The CustomSql statement returned a blob; a rule with an expression needs a numeric value."),
        };
        stepped = raw.sqlite3_step(statement);
        if (stepped == raw.SQLITE_ROW)
        {
            throw new CustomSqlException("The CustomSql statement returned more than one row; a rule with an expression needs a single numeric value.");
        }
        CheckStep(stepped);
        return value;
    }

    /// <summary>Runs a statement that selects rows of <c>primary</c> (the row-level form) and counts them.</summary>
    /// <exception cref="CustomSqlException">The statement was refused or failed, or it selects no column of primary.</exception>
    /// <exception cref="StatementInterruptedException">The statement was interrupted.</exception>
    public long CountRows(string sql)
    {
        using var statement = Prepare(sql);
        if (!SelectsAColumnOfPrimary(statement))
        {
            // As in Glue: the rows returned are matched to the dataset's rows, which needs a column of the dataset.
            throw new CustomSqlException(
                "A row-level CustomSql statement (one without an expression) must select at least one column of primary, e.g. select id from primary where amount > 0; the rows it returns are the rows that pass.");
        }
        long rows = 0;
        int stepped;
        while ((stepped = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
        {
            rows++;
        }
        CheckStep(stepped);
        return rows;
    }

    private sqlite3_stmt Prepare(string sql)
    {
        // Statements on one copy run one at a time, so the refusal recorded is this statement's.
        _refused.Clear();
        var result = raw.sqlite3_prepare_v2(_db, PrimaryTableName.QuoteBareReferences(sql), out var statement, out string tail);
        if (result != raw.SQLITE_OK)
        {
            statement?.Dispose();
            throw result == raw.SQLITE_AUTH
                ? new CustomSqlException($"{SingleSelectOnly}; this statement would {_refused.Describe()}.")
                : new CustomSqlException($"SQLite rejected the CustomSql statement: {raw.sqlite3_errmsg(_db).utf8_to_string()}");
        }
        if (statement is null || statement.IsInvalid)
        {
            throw new CustomSqlException("The CustomSql statement is empty.");
        }
        try
        {
            if (!IsOnlyCommentsOrSpace(tail))
            {
                throw new CustomSqlException($"{SingleSelectOnly}; this text holds more than one statement.");
            }
            if (raw.sqlite3_stmt_readonly(statement) == 0 || raw.sqlite3_column_count(statement) == 0)
            {
                throw new CustomSqlException($"{SingleSelectOnly}; this statement returns no rows.");
            }
            return statement;
        }
        catch
        {
            statement.Dispose();
            throw;
        }
    }

    /// <summary>What follows the first statement: nothing but whitespace, semicolons and comments is allowed.</summary>
    private bool IsOnlyCommentsOrSpace(string? tail)
    {
        while (!string.IsNullOrWhiteSpace(tail))
        {
            // SQLite's own tokenizer decides: preparing comments and semicolons yields no statement.
            var result = raw.sqlite3_prepare_v2(_db, tail, out var next, out string rest);
            var isStatement = next is not null && !next.IsInvalid;
            next?.Dispose();
            if (result != raw.SQLITE_OK || isStatement)
            {
                return false;
            }
            if (rest == tail)
            {
                return true;
            }
            tail = rest;
        }
        return true;
    }

    private static bool SelectsAColumnOfPrimary(sqlite3_stmt statement)
    {
        var columns = raw.sqlite3_column_count(statement);
        for (var i = 0; i < columns; i++)
        {
            if (string.Equals(raw.sqlite3_column_table_name(statement, i).utf8_to_string(), PrimaryTableName.Table, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    private void CheckStep(int result)
    {
        if (result is raw.SQLITE_DONE or raw.SQLITE_ROW)
        {
            return;
        }
        if (result == raw.SQLITE_INTERRUPT)
        {
            throw new StatementInterruptedException();
        }
        throw new CustomSqlException($"SQLite failed to run the CustomSql statement: {raw.sqlite3_errmsg(_db).utf8_to_string()}");
    }

    private static void Check(sqlite3 db, int result)
    {
        if (result != raw.SQLITE_OK)
        {
            throw new InvalidOperationException($"Could not make the CustomSql copy read-only: {raw.sqlite3_errmsg(db).utf8_to_string()}");
        }
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>
    /// Allows what a query needs: reading tables, SELECT, functions (except load_extension) and recursive common table
    /// expressions. Everything else (writes, ATTACH, PRAGMA, DDL, transactions) fails the prepare with SQLITE_AUTH.
    /// </summary>
    private static int Authorize(object state, int action, string? first, string? second, string? database, string? trigger)
    {
        var allowed = action switch
        {
            raw.SQLITE_READ or raw.SQLITE_SELECT or raw.SQLITE_RECURSIVE => true,
            raw.SQLITE_FUNCTION => !string.Equals(second, "load_extension", StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
        if (allowed)
        {
            return raw.SQLITE_OK;
        }
        ((RefusedAction)state).Record(action, first, second);
        return raw.SQLITE_DENY;
    }

    /// <summary>The first action the authorizer refused while preparing the current statement, for the error message.</summary>
    private sealed class RefusedAction
    {
        private int? _action;
        private string? _first;
        private string? _second;

        public void Clear()
        {
            _action = null;
            _first = null;
            _second = null;
        }

        public void Record(int action, string? first, string? second)
        {
            if (_action is null)
            {
                _action = action;
                _first = first;
                _second = second;
            }
        }

        /// <summary>DDL is authorized first as a write to the schema table (sqlite_master) it changes.</summary>
        private bool WritesTheSchema => _first is not null && _first.StartsWith("sqlite_", StringComparison.OrdinalIgnoreCase);

        public string Describe() => _action switch
        {
            raw.SQLITE_DELETE or raw.SQLITE_INSERT or raw.SQLITE_UPDATE when WritesTheSchema => "change the schema",
            raw.SQLITE_DELETE => "DELETE rows",
            raw.SQLITE_INSERT => "INSERT rows",
            raw.SQLITE_UPDATE => "UPDATE rows",
            raw.SQLITE_ATTACH => "ATTACH a database",
            raw.SQLITE_DETACH => "DETACH a database",
            raw.SQLITE_PRAGMA => $"run PRAGMA {_first}".TrimEnd(),
            raw.SQLITE_TRANSACTION or raw.SQLITE_SAVEPOINT => "control a transaction",
            raw.SQLITE_FUNCTION => $"call {_second}()",
            >= raw.SQLITE_CREATE_INDEX and <= raw.SQLITE_CREATE_VIEW or raw.SQLITE_CREATE_VTABLE
                or >= raw.SQLITE_DROP_INDEX and <= raw.SQLITE_DROP_VIEW or raw.SQLITE_DROP_VTABLE or raw.SQLITE_ALTER_TABLE => "change the schema",
            { } other => string.Create(CultureInfo.InvariantCulture, $"perform SQLite action {other}"),
            null => "change the database",
        };
    }
}

/// <summary>SQLite stopped a statement because its time ran out or the evaluation was cancelled.</summary>
internal sealed class StatementInterruptedException() : Exception("The CustomSql statement was interrupted.");
