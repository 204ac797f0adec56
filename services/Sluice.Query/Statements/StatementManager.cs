using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Query.Engines;
using Sluice.Query.Replicas;
using Sluice.Query.V1;

namespace Sluice.Query.Statements;

/// <summary>One page of a statement's result.</summary>
public sealed record ResultPage(IReadOnlyList<ColumnMetadata> Columns, IReadOnlyList<Record> Records, long TotalRows, string? NextToken);

/// <summary>One page of statements.</summary>
public sealed record StatementPage(IReadOnlyList<Statement> Statements, string? NextToken);

/// <summary>
/// Accepts statements, runs them asynchronously on the engine, keeps their state and results
/// for the retention period, and enforces the limits with the Data API's errors.
/// </summary>
public sealed partial class StatementManager : IDisposable
{
    private const int MaxBatchStatements = 40;
    private readonly ISqlEngine _engine;
    private readonly QueryOptions _options;
    private readonly IReadOnlyList<IStatementLifecycleObserver> _observers;
    private readonly ILogger<StatementManager> _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Statement> _statements = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Caller, string Token), string> _clientTokens = [];
    private readonly Dictionary<string, int> _activeByCaller = new(StringComparer.Ordinal);
    private readonly Lock _admission = new();
    private readonly SemaphoreSlim _executionSlots;
    private readonly EngineThreads? _engineThreads;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly StatementSessions _sessions;
    private readonly IStatementStore _store;
    private readonly ReplicaServices _replicas;

    // Query ids of the parts run here, increasing as Redshift's are.
    private long _lastQueryId;

    // Read once: statements ended by shutdown notify observers after the source is disposed.
    private readonly CancellationToken _shutdownToken;

    public StatementManager(ISqlEngine engine, IOptions<QueryOptions> options, IEnumerable<IStatementLifecycleObserver> observers, ILogger<StatementManager> logger,
        TimeProvider? time = null, IStatementStore? store = null, ReplicaServices? replicas = null)
    {
        _store = store ?? new InMemoryStatementStore();
        _replicas = replicas ?? ReplicaServices.Alone;
        _engine = engine;
        _options = options.Value;
        _observers = observers.ToList();
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _executionSlots = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentStatements));
        // Up to one thread per execution slot for an engine that blocks its caller.
        _engineThreads = engine is IConnectionSqlEngine { BlocksCallingThread: true } ? new EngineThreads(Math.Max(1, _options.MaxConcurrentStatements)) : null;
        _shutdownToken = _shutdown.Token;
        _sessions = new StatementSessions(_options.MaxSessions, _time, logger);
    }

    /// <summary>The ids of the sessions open now (each holding a connection on the engines Sluice connects to).</summary>
    public IReadOnlyList<string> SessionIds => _sessions.Ids;

    /// <summary>Validates and accepts a statement; it runs in the background.</summary>
    /// <exception cref="QueryException">
    /// ValidationException, ActiveStatementsExceededException, or for sessions
    /// ResourceNotFoundException and ActiveSessionsExceededException.
    /// </exception>
    public Statement Submit(StatementSubmission submission)
    {
        var (statement, admitted) = Admit(submission);
        if (admitted)
        {
            Notify(statement, StatementStatus.Submitted);
            Persist(statement);
            Start(statement);
        }
        return statement;
    }

    /// <summary>
    /// As <see cref="Submit"/>, but answers only once the statement is in the statement store, so
    /// an accepted statement is never lost with the process; one the store cannot record is not started.
    /// </summary>
    /// <exception cref="QueryException">As Submit, and DatabaseConnectionException when the store cannot record it.</exception>
    public async Task<Statement> SubmitAsync(StatementSubmission submission)
    {
        var (statement, admitted) = Admit(submission);
        if (!admitted)
        {
            return statement;
        }
        StatementRecord record;
        lock (statement.Sync)
        {
            record = StatementRecords.Capture(statement);
        }
        try
        {
            // Not cancelled with the request: a write the store may already have made must not be withdrawn.
            await _store.AddAsync(record, CancellationToken.None).ConfigureAwait(false);
        }
        catch (StatementConflictException conflict)
        {
            // Another replica holds the id or the client token. The token's statement answers an idempotent retry; an id
            // given by the submitter (a SubmitStatement command redelivered to another replica) names the statement
            // that delivery already started.
            Withdraw(statement);
            return await FindAsync(conflict.ExistingIdForToken ?? statement.Id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Withdraw(statement);
            LogStoreFailure(_logger, exception, statement.Id);
            throw new QueryException(QueryErrorType.DatabaseConnectionException,
                "The statement could not be recorded in the state store (Sluice:Query:State), so it was not started; try again.");
        }
        Notify(statement, StatementStatus.Submitted);
        Start(statement);
        return statement;
    }

    /// <summary>Validates and admits a statement (not started yet); an idempotent retry returns the first statement, not admitted again.</summary>
    private (Statement Statement, bool Admitted) Admit(StatementSubmission submission)
    {
        Validate(submission);
        Statement statement;
        lock (_admission)
        {
            if (_stopping)
            {
                throw new QueryException(QueryErrorType.ServiceUnavailableException,
                    "The query service is stopping and accepts no new statements; submit it again to another replica or once the service has restarted.");
            }
            if (submission.ClientToken is { Length: > 0 } token
                && _clientTokens.TryGetValue((submission.Caller, token), out var existingId)
                && _statements.TryGetValue(existingId, out var existing))
            {
                return (existing, false); // An idempotent retry: the statement the first request created.
            }
            var active = _activeByCaller.GetValueOrDefault(submission.Caller);
            if (active >= _options.MaxActiveStatementsPerCaller)
            {
                throw new QueryException(QueryErrorType.ActiveStatementsExceededException,
                    $"Active statements exceeded the allowed quota of {_options.MaxActiveStatementsPerCaller} (Sluice:Query:MaxActiveStatementsPerCaller); wait for a statement to end or cancel one.");
            }
            var id = submission.StatementId ?? Guid.NewGuid().ToString();
            if (_statements.ContainsKey(id))
            {
                throw QueryException.Validation("Id", $"Statement id '{id}' is already in use.");
            }
            var now = _time.GetUtcNow();
            statement = _sessions.Admit(submission, (admitted, session) => new Statement(id, admitted, now) { Session = session });
            _statements[id] = statement;
            _activeByCaller[submission.Caller] = active + 1;
            if (submission.ClientToken is { Length: > 0 } newToken)
            {
                _clientTokens[(submission.Caller, newToken)] = id;
            }
        }
        return (statement, true);
    }

    /// <summary>Takes back an admitted statement that was never started, as if it had not been submitted.</summary>
    private void Withdraw(Statement statement)
    {
        lock (_admission)
        {
            _statements.TryRemove(statement.Id, out _);
            _activeByCaller[statement.Submission.Caller]--;
            if (statement.Submission.ClientToken is { Length: > 0 } token)
            {
                _clientTokens.Remove((statement.Submission.Caller, token));
            }
        }
        if (statement.Session is { } session)
        {
            _sessions.Released(session, statement);
        }
    }

    /// <summary>The statement with <paramref name="id"/> (a sub-statement id finds its batch).</summary>
    /// <exception cref="QueryException">ResourceNotFoundException.</exception>
    public Statement Get(string id)
    {
        ValidateId(id);
        var colon = id.IndexOf(':', StringComparison.Ordinal);
        var parentId = colon < 0 ? id : id[..colon];
        if (_statements.TryGetValue(parentId, out var statement) && (colon < 0 || statement.Parts.Any(p => p.Id == id)))
        {
            return statement;
        }
        throw QueryException.NotFound(id);
    }

    /// <summary>Cancels a statement that has not ended; false when it already had.</summary>
    public async Task<bool> CancelAsync(string id)
    {
        var statement = Get(id);
        if (statement.IsEnded)
        {
            return false;
        }
        await statement.Cancellation.CancelAsync().ConfigureAwait(false);
        // Ends it at once even if it was still waiting for an execution slot.
        return MoveTo(statement, StatementStatus.Aborted, "Statement was cancelled by the user.") || statement.Status == StatementStatus.Aborted;
    }

    public StatementPage List(string caller, bool allCallers, StatementStatus status, string? namePrefix, int maxResults, string? nextToken) =>
        PageOf(_statements.Values, caller, allCallers, status, namePrefix, ListLimit(maxResults), DecodeListToken(nextToken));

    private static int ListLimit(int maxResults) => maxResults is < 0 or > 100
        ? throw QueryException.Validation("MaxResults", "MaxResults must be between 0 and 100.")
        : maxResults == 0 ? 100 : maxResults;

    private static StatementPage PageOf(IEnumerable<Statement> statements, string caller, bool allCallers, StatementStatus status, string? namePrefix, int limit, (long Ticks, string Id)? after)
    {
        var matching = statements
            .Where(s => allCallers || s.Submission.Caller == caller)
            .Where(s => status == StatementStatus.Unspecified || s.Status == status)
            .Where(s => string.IsNullOrEmpty(namePrefix) || (s.Submission.StatementName ?? "").StartsWith(namePrefix, StringComparison.Ordinal))
            .OrderByDescending(s => s.CreatedAt).ThenBy(s => s.Id, StringComparer.Ordinal)
            .Where(s => after is null || IsAfter(s, after.Value))
            .Take(limit + 1)
            .ToList();
        var more = matching.Count > limit;
        if (more)
        {
            matching.RemoveAt(limit);
        }
        return new StatementPage(matching, more ? EncodeListToken(matching[^1]) : null);
    }

    /// <summary>A page of a finished statement's result; <paramref name="nextToken"/> from the previous page.</summary>
    public async Task<ResultPage> GetResultPageAsync(string id, string? nextToken, CancellationToken cancellationToken)
    {
        var (result, index, next) = await ResolvePageAsync(id, nextToken, cancellationToken).ConfigureAwait(false);
        if (result.BatchCount == 0)
        {
            return new ResultPage(result.Columns, [], 0, null);
        }
        var batch = await result.ReadBatchAsync(index, cancellationToken).ConfigureAwait(false);
        return new ResultPage(result.Columns, batch.Records, result.TotalRows, next);
    }

    /// <summary>
    /// Where a page is: the result, the batch index that is the page (none when the result is
    /// empty) and the token of the next page.
    /// </summary>
    /// <exception cref="QueryException">Unknown statement, no result, or a token that is not this result's.</exception>
    public (StoredResult Result, int BatchIndex, string? NextToken) ResolvePage(string id, string? nextToken) => PageOf(GetResult(id), nextToken);

    private static (StoredResult Result, int BatchIndex, string? NextToken) PageOf(StoredResult result, string? nextToken)
    {
        var index = 0;
        if (!string.IsNullOrEmpty(nextToken) && (!TryDecodePageToken(nextToken, out index) || index <= 0 || index >= result.BatchCount))
        {
            throw QueryException.Validation("NextToken", "NextToken is invalid for this statement's result.");
        }
        var next = index + 1 < result.BatchCount ? EncodePageToken(index + 1) : null;
        return (result, index, next);
    }

    /// <summary>The stored result of a finished statement or sub-statement.</summary>
    /// <exception cref="QueryException">ResourceNotFoundException or ValidationException.</exception>
    public StoredResult GetResult(string id) => ResultOf(Get(id), id);

    private static StoredResult ResultOf(Statement statement, string id)
    {
        if (statement.Submission.IsBatch && !id.Contains(':', StringComparison.Ordinal))
        {
            throw QueryException.Validation("Id", $"Statement '{id}' is a batch: ask for the result of a sub-statement ({id}:1, {id}:2, ...).");
        }
        var part = statement.Parts.Single(p => p.Id == id);
        lock (statement.Sync)
        {
            if (part.Status != StatementStatus.Finished)
            {
                throw new QueryException(QueryErrorType.ResourceNotFoundException,
                    $"Query does not have a result: statement '{id}' is {StatusName(part.Status)}, not FINISHED.", "Id", id);
            }
            return part.Result ?? throw new QueryException(QueryErrorType.ResourceNotFoundException,
                $"Query does not have a result: statement '{id}' returned no result set.", "Id", id);
        }
    }

    /// <summary>Forgets statements that ended and were created more than the retention period ago, with their results.</summary>
    public int RemoveExpired()
    {
        var cutoff = _time.GetUtcNow() - _options.ResultRetention;
        var removed = new List<string>();
        var expiredResults = new List<string>();
        foreach (var statement in _statements.Values)
        {
            if (statement.CreatedAt > cutoff || !statement.IsEnded || !_statements.TryRemove(statement.Id, out _))
            {
                continue;
            }
            removed.Add(statement.Id);
            lock (_admission)
            {
                if (statement.Submission.ClientToken is { Length: > 0 } token)
                {
                    _clientTokens.Remove((statement.Submission.Caller, token));
                }
            }
            foreach (var part in statement.Parts.Where(p => p.Result is not null))
            {
                part.Result!.Delete();
                expiredResults.Add(part.Id);
            }
        }
        if (removed.Count > 0)
        {
            _ = DeleteStoredAsync(removed);
        }
        ForgetSharedResults(expiredResults);
        _replicas.Results.PruneCopies(cutoff);
        return removed.Count;
    }

    public static string StatusName(StatementStatus status) => status switch
    {
        StatementStatus.Submitted => "SUBMITTED",
        StatementStatus.Picked => "PICKED",
        StatementStatus.Started => "STARTED",
        StatementStatus.Finished => "FINISHED",
        StatementStatus.Aborted => "ABORTED",
        StatementStatus.Failed => "FAILED",
        _ => "ALL",
    };

    public void Dispose()
    {
        _shutdown.Cancel();
        _observersAbandoned.Cancel();
        _sessions.Dispose();
        _engineThreads?.Dispose();
        _shutdown.Dispose();
    }

    private async Task RunAsync(Statement statement)
    {
        using var timeout = new CancellationTokenSource(_options.StatementTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(statement.Cancellation.Token, timeout.Token, _shutdownToken);
        var token = linked.Token;
        var session = statement.Session;
        var holdsSession = false;
        try
        {
            if (session is not null)
            {
                // In admission order: the previous statement of the session may still be leaving the connection.
                await session.Gate.WaitAsync(token).ConfigureAwait(false);
                holdsSession = true;
                if (session.IsClosed)
                {
                    throw new QueryException(QueryErrorType.ExecuteStatementException, $"Session '{session.Id}' was closed because the query service is stopping.");
                }
            }
            await _executionSlots.WaitAsync(token).ConfigureAwait(false);
            try
            {
                MoveTo(statement, StatementStatus.Picked);
                if (_engine is IRemoteSqlEngine remote)
                {
                    await ExecuteRemotelyAsync(statement, remote, token).ConfigureAwait(false);
                }
                else if (_engineThreads is not null)
                {
                    await _engineThreads.Run(() => ExecuteAsync(statement, (IConnectionSqlEngine)_engine, token)).ConfigureAwait(false);
                }
                else
                {
                    await ExecuteAsync(statement, (IConnectionSqlEngine)_engine, token).ConfigureAwait(false);
                }
                MoveTo(statement, StatementStatus.Finished);
            }
            finally
            {
                _executionSlots.Release();
            }
        }
        catch (RemoteStatementHandedOverException)
        {
            // Left STARTED: the next service restores it and its re-checks end it.
        }
        catch (Exception exception)
        {
            EndAfterError(statement, exception, timeout.IsCancellationRequested);
        }
        finally
        {
            lock (_admission)
            {
                _activeByCaller[statement.Submission.Caller]--;
            }
            if (session is not null)
            {
                if (holdsSession)
                {
                    session.Gate.Release();
                }
                _sessions.Released(session, statement);
            }
            if (statement.Status == StatementStatus.Failed || statement.Status == StatementStatus.Aborted)
            {
                DiscardResults(statement);
                Persist(statement); // Without the results just deleted.
            }
        }
    }

    /// <summary>Ends a statement whose run threw, with the reason a caller should read.</summary>
    private void EndAfterError(Statement statement, Exception exception, bool timedOut)
    {
        switch (exception)
        {
            case var _ when statement.Cancellation.IsCancellationRequested:
                MoveTo(statement, StatementStatus.Aborted, "Statement was cancelled by the user.");
                break;
            case var _ when timedOut:
                MoveTo(statement, StatementStatus.Failed, $"Statement exceeded the timeout of {_options.StatementTimeout} (Sluice:Query:StatementTimeout) and was cancelled.");
                break;
            case var _ when _shutdown.IsCancellationRequested:
                MoveTo(statement, StatementStatus.Aborted, StopReason(statement));
                break;
            case RemoteStatementAbortedException:
                MoveTo(statement, StatementStatus.Aborted, exception.Message);
                break;
            case QueryException:
                MoveTo(statement, StatementStatus.Failed, exception.Message);
                break;
            case DbException db:
                MoveTo(statement, StatementStatus.Failed, _engine is IConnectionSqlEngine connectionEngine ? connectionEngine.DescribeError(db) : exception.Message);
                break;
            default:
                LogUnexpectedFailure(_logger, exception, statement.Id);
                MoveTo(statement, StatementStatus.Failed, "Internal error: " + exception.Message);
                break;
        }
    }

    private async Task ExecuteAsync(Statement statement, IConnectionSqlEngine engine, CancellationToken token)
    {
        var submission = statement.Submission;
        // A session's connection stays open for its next statement; any other is this statement's own.
        var session = statement.Session;
        await using var owned = session is null ? await engine.OpenAsync(submission.Database, token).ConfigureAwait(false) : null;
        var connection = owned ?? (session!.Connection ??= await engine.OpenAsync(submission.Database, token).ConfigureAwait(false));
        using var interrupt = engine.InterruptOnCancel(connection, token);
        MoveTo(statement, StatementStatus.Started);
        await using var transaction = submission.IsBatch ? await connection.BeginTransactionAsync(token).ConfigureAwait(false) : null;
        foreach (var part in statement.Parts)
        {
            token.ThrowIfCancellationRequested();
            var queryId = Interlocked.Increment(ref _lastQueryId);
            statement.UpdatePart(part, _time.GetUtcNow(), p =>
            {
                p.Status = StatementStatus.Started;
                p.QueryId = queryId;
                p.StartedTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
            });
            try
            {
                await ExecutePartAsync(engine, statement, part, connection, transaction, token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is DbException or QueryException && !token.IsCancellationRequested)
            {
                var message = exception is DbException db ? engine.DescribeError(db) : exception.Message;
                statement.UpdatePart(part, _time.GetUtcNow(), p =>
                {
                    p.Status = StatementStatus.Failed;
                    p.Error = message;
                    p.EndedTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
                });
                throw new QueryException(QueryErrorType.ExecuteStatementException, message);
            }
        }
        if (transaction is not null)
        {
            await transaction.CommitAsync(token).ConfigureAwait(false);
        }
    }

    private async Task ExecutePartAsync(IConnectionSqlEngine engine, Statement statement, StatementPart part, DbConnection connection, DbTransaction? transaction, CancellationToken token)
    {
        await using var command = engine.CreateCommand(connection, part.Sql, statement.Submission.Parameters);
        command.Transaction = transaction;
        if (engine.CountsOnlyThroughNonQuery(part.Sql))
        {
            var changed = await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            statement.UpdatePart(part, _time.GetUtcNow(), p =>
            {
                p.ResultRows = changed;
                p.Status = StatementStatus.Finished;
                p.EndedTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
            });
            return;
        }
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        StoredResult? result = null;
        long rows;
        if (reader.FieldCount > 0)
        {
            var columns = engine.DescribeColumns(reader);
            var path = Path.Combine(_options.ResultsDirectory, part.Id.Replace(':', '_') + ".batches");
            await using var writer = new ResultWriter(path, columns, Math.Max(1, _options.ResultPageRows), _options.ResultPageBytes, _options.MaxResultSizeBytes,
                engine.BlocksCallingThread);
            statement.UpdatePart(part, _time.GetUtcNow(), p => p.Tail = writer.Tail);
            var writeRecord = engine.CreateRecordWriter(reader);
            var record = new ResultRecordEncoder();
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                writeRecord(record);
                await writer.AddAsync(record).ConfigureAwait(false);
            }
            result = await writer.CompleteAsync().ConfigureAwait(false);
            await _replicas.Results.ShareAsync(part.Id, result, token).ConfigureAwait(false);
            rows = result.TotalRows;
        }
        else
        {
            rows = reader.RecordsAffected;
        }
        statement.UpdatePart(part, _time.GetUtcNow(), p =>
        {
            p.HasResultSet = result is not null;
            p.Result = result;
            p.Tail = null;
            p.ResultRows = rows;
            p.Status = StatementStatus.Finished;
            p.EndedTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
        });
    }

    private bool MoveTo(Statement statement, StatementStatus status, string? error = null)
    {
        if (!statement.TryMoveTo(status, _time.GetUtcNow(), error))
        {
            return false;
        }
        Notify(statement, status);
        Persist(statement);
        return true;
    }

    /// <summary>Queues the observers' notification of a transition behind the statement's earlier ones.</summary>
    private void Notify(Statement statement, StatementStatus status)
    {
        if (_observers.Count == 0)
        {
            return;
        }
        lock (statement.Sync)
        {
            var last = statement.Parts[^1];
            var transition = new StatementTransition(statement.Id, status, statement.Submission.Caller, statement.Submission.Database,
                string.Join(";\n", statement.Submission.Sqls), statement.Submission.StatementName, statement.Submission.WithEvent,
                last.HasResultSet, last.ResultRows, statement.DurationNanoseconds, statement.Error, statement.UpdatedAt, statement.RemoteId, statement.CreatedAt);
            // Continued on the thread pool so observers never run under the statement's lock.
            statement.Notifications = statement.Notifications
                .ContinueWith(_ => NotifyObserversAsync(transition), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default)
                .Unwrap();
        }
    }

    private async Task NotifyObserversAsync(StatementTransition transition)
    {
        foreach (var observer in _observers)
        {
            try
            {
                await observer.OnTransitionAsync(transition, _observersAbandoned.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_observersAbandoned.IsCancellationRequested)
            {
                // The service is stopping and its bus with it: the transition cannot be announced.
            }
            catch (Exception exception)
            {
                LogObserverFailure(_logger, exception, transition.StatementId);
            }
        }
    }

    private void DiscardResults(Statement statement)
    {
        var discarded = new List<string>();
        lock (statement.Sync)
        {
            foreach (var part in statement.Parts.Where(p => p.Result is not null))
            {
                part.Result!.Delete();
                part.Result = null;
                discarded.Add(part.Id);
            }
        }
        ForgetSharedResults(discarded);
    }

    private void Validate(StatementSubmission submission)
    {
        StatementSessions.Validate(submission);
        if (submission.SessionId is null && string.IsNullOrWhiteSpace(submission.Database))
        {
            throw QueryException.Validation("Database", "Database is required.");
        }
        if (submission.Sqls.Count == 0)
        {
            throw QueryException.Validation(submission.IsBatch ? "Sqls" : "Sql", submission.IsBatch ? "Sqls must hold at least one SQL statement." : "Sql is required.");
        }
        if (submission.IsBatch && submission.Sqls.Count > MaxBatchStatements)
        {
            throw QueryException.Validation("Sqls", $"A batch holds at most {MaxBatchStatements} SQL statements; this one has {submission.Sqls.Count}.");
        }
        foreach (var sql in submission.Sqls)
        {
            if (string.IsNullOrWhiteSpace(sql))
            {
                throw QueryException.Validation(submission.IsBatch ? "Sqls" : "Sql", "SQL text must not be empty.");
            }
            if (sql.Length > _options.MaxSqlLength)
            {
                throw QueryException.Validation(submission.IsBatch ? "Sqls" : "Sql", $"SQL text is {sql.Length} characters long; the limit is {_options.MaxSqlLength}.");
            }
        }
        if (submission.StatementName is { Length: > 500 })
        {
            throw QueryException.Validation("StatementName", "StatementName must be at most 500 characters long.");
        }
        if (submission.ClientToken is { Length: > 64 })
        {
            throw QueryException.Validation("ClientToken", "ClientToken must be at most 64 characters long.");
        }
        ValidateParameters(submission);
    }

    private static void ValidateParameters(StatementSubmission submission)
    {
        var provided = new HashSet<string>(StringComparer.Ordinal);
        foreach (var parameter in submission.Parameters)
        {
            if (!ParameterName().IsMatch(parameter.Name))
            {
                throw QueryException.Validation("Parameters", $"Parameter name '{parameter.Name}' is invalid: use letters, digits and underscores only.");
            }
            if (parameter.Value.Length == 0)
            {
                throw QueryException.Validation("Parameters", $"Parameter '{parameter.Name}' has an empty value; pass a value, or write NULL in the SQL.");
            }
            if (!provided.Add(parameter.Name))
            {
                throw QueryException.Validation("Parameters", $"Parameter '{parameter.Name}' is given more than once.");
            }
        }
        if (submission.IsBatch)
        {
            return;
        }
        var referenced = SqlParameterScanner.Scan(submission.Sqls[0]).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in referenced.Where(n => !provided.Contains(n)))
        {
            throw QueryException.Validation("Parameters", $"The SQL references :{name} but no parameter '{name}' was given.");
        }
        foreach (var name in provided.Where(n => !referenced.Contains(n)))
        {
            throw QueryException.Validation("Parameters", $"Parameter '{name}' is not referenced in the SQL (write :{name} where it belongs).");
        }
    }

    private static void ValidateId(string id)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw QueryException.Validation("Id", "Id is required.");
        }
        if (!StatementId().IsMatch(id))
        {
            throw QueryException.Validation("Id", $"Id '{id}' is not a statement id (a UUID, optionally followed by :n for a sub-statement).");
        }
    }

    private static bool IsAfter(Statement statement, (long Ticks, string Id) after) =>
        statement.CreatedAt.UtcTicks < after.Ticks || (statement.CreatedAt.UtcTicks == after.Ticks && string.CompareOrdinal(statement.Id, after.Id) > 0);

    private static string EncodeListToken(Statement last) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"s:{last.CreatedAt.UtcTicks}:{last.Id}")));

    private static (long Ticks, string Id)? DecodeListToken(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split(':', 3);
            if (parts.Length == 3 && parts[0] == "s" && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
            {
                return (ticks, parts[2]);
            }
        }
        catch (FormatException)
        {
            // Falls through to the validation error.
        }
        throw QueryException.Validation("NextToken", "NextToken is invalid.");
    }

    private static string EncodePageToken(int index) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"p:{index}")));

    private static bool TryDecodePageToken(string token, out int index)
    {
        index = 0;
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            return text.StartsWith("p:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out index);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    [GeneratedRegex("^[0-9a-zA-Z_]+$")]
    private static partial Regex ParameterName();

    [GeneratedRegex("^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\\d+)?$")]
    private static partial Regex StatementId();

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Statement {StatementId} failed unexpectedly")]
    private static partial void LogUnexpectedFailure(ILogger logger, Exception exception, string statementId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "A lifecycle observer failed for statement {StatementId}")]
    private static partial void LogObserverFailure(ILogger logger, Exception exception, string statementId);
}
