using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Sluice.Query.Statements;

/// <summary>
/// The open sessions (the Data API's SessionKeepAliveSeconds and SessionId): admits a statement
/// into a new or an existing session, refuses a busy, unknown or expired one, and closes a session
/// (its connection with it) when its keep-alive has run out after its last statement, on a timer
/// of the manager's <see cref="TimeProvider"/>, and at shutdown.
/// </summary>
internal sealed partial class StatementSessions : IDisposable
{
    /// <summary>The Data API's bound of SessionKeepAliveSeconds (24 hours).</summary>
    public const int MaxKeepAliveSeconds = 86_400;

    // How long shutdown waits for a statement that still holds a session's connection.
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, StatementSession> _open = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();
    private readonly int _maxSessions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private bool _disposed;

    public StatementSessions(int maxSessions, TimeProvider time, ILogger logger)
    {
        if (maxSessions < 0)
        {
            throw new InvalidOperationException($"Sluice:Query:MaxSessions is {maxSessions}; it must be 0 (no sessions) or more.");
        }
        _maxSessions = maxSessions;
        _time = time;
        _logger = logger;
    }

    /// <summary>The ids of the sessions open now.</summary>
    public IReadOnlyList<string> Ids
    {
        get
        {
            lock (_sync)
            {
                return [.. _open.Keys];
            }
        }
    }

    /// <summary>
    /// Checks the session fields of a submission that the request shape alone decides: the
    /// keep-alive's range and the session id's form.
    /// </summary>
    /// <exception cref="QueryException">ValidationException naming the field.</exception>
    public static void Validate(StatementSubmission submission)
    {
        if (submission.SessionKeepAliveSeconds is < 0 or > MaxKeepAliveSeconds)
        {
            throw QueryException.Validation("SessionKeepAliveSeconds",
                $"SessionKeepAliveSeconds is {submission.SessionKeepAliveSeconds}; it must be between 0 and {MaxKeepAliveSeconds} (24 hours).");
        }
        if (submission.SessionId is { } id && !SessionIdPattern().IsMatch(id))
        {
            throw QueryException.Validation("SessionId", $"SessionId '{id}' is not a session id (the UUID an earlier ExecuteStatement or BatchExecuteStatement returned).");
        }
    }

    /// <summary>
    /// Refuses a request that names a session and also where to run (the session already has
    /// both), naming the fields it set, as the Data API does.
    /// </summary>
    /// <exception cref="QueryException">ValidationException.</exception>
    public static void RefuseLocationWithSession(string sessionId, params (string Field, string Value)[] fields)
    {
        if (sessionId.Length == 0)
        {
            return;
        }
        var named = fields.Where(f => f.Value.Length > 0).Select(f => f.Field).ToList();
        if (named.Count > 0)
        {
            throw QueryException.Validation(named[0],
                $"SessionId cannot be specified with {string.Join(", ", named)}: a session keeps the database and the cluster or workgroup it was opened with. Leave out {string.Join(" and ", named)}.");
        }
    }

    /// <summary>
    /// The statement <paramref name="create"/> makes, admitted into its session: the one
    /// <see cref="StatementSubmission.SessionId"/> names, or a new one when only
    /// <see cref="StatementSubmission.SessionKeepAliveSeconds"/> is set; without either, the
    /// statement as created, in no session. <paramref name="create"/> receives the submission
    /// completed with the session's id, database and location.
    /// </summary>
    /// <exception cref="QueryException">
    /// ResourceNotFoundException (unknown, expired or another caller's session), ValidationException
    /// (the session is running a statement) or ActiveSessionsExceededException.
    /// </exception>
    public Statement Admit(StatementSubmission submission, Func<StatementSubmission, StatementSession?, Statement> create)
    {
        if (submission.SessionId is null && submission.SessionKeepAliveSeconds == 0)
        {
            return create(submission, null);
        }
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            StatementSession session;
            if (submission.SessionId is { } id)
            {
                if (_open.TryGetValue(id, out var found) && ExpiresIn(found) <= TimeSpan.Zero)
                {
                    // Expired though its timer has not closed it yet (or the last statement's run is
                    // still leaving it): the keep-alive counts from the statement's end, as seen.
                    Expire(found);
                    found = null;
                }
                if (found is null || found.Caller != submission.Caller)
                {
                    throw new QueryException(QueryErrorType.ResourceNotFoundException,
                        $"Session '{id}' does not exist: it is unknown, or it expired after its keep-alive. Open a new session with SessionKeepAliveSeconds.", "SessionId", id);
                }
                if (found.Current is { IsEnded: false } running)
                {
                    throw QueryException.Validation("SessionId",
                        $"Session '{id}' is busy: statement {running.Id} is still running in it, and a session runs one statement at a time. Submit the next one when it has ended (DescribeStatement).");
                }
                session = found;
                if (submission.SessionKeepAliveSeconds > 0)
                {
                    session.KeepAlive = TimeSpan.FromSeconds(submission.SessionKeepAliveSeconds);
                }
            }
            else
            {
                if (_open.Count >= _maxSessions)
                {
                    // Those whose keep-alive ran out do not count, though their timers may not have fired yet.
                    foreach (var expired in _open.Values.Where(s => ExpiresIn(s) <= TimeSpan.Zero).ToList())
                    {
                        Expire(expired);
                    }
                }
                if (_open.Count >= _maxSessions)
                {
                    throw new QueryException(QueryErrorType.ActiveSessionsExceededException,
                        $"Active sessions exceeded the allowed quota of {_maxSessions} (Sluice:Query:MaxSessions); reuse an open session with SessionId, or wait for one to expire.");
                }
                session = new StatementSession(Guid.NewGuid().ToString(), submission.Caller, submission.Database, submission.Location,
                    TimeSpan.FromSeconds(submission.SessionKeepAliveSeconds), _time.GetUtcNow());
            }
            var statement = create(submission with { SessionId = session.Id, Database = session.Database, Location = session.Location }, session);
            _open[session.Id] = session;
            session.Current = statement;
            // Busy now: the keep-alive counts again from this statement's end.
            session.Expiry?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return statement;
        }
    }

    /// <summary>
    /// Called when <paramref name="statement"/>'s run has let go of its session's connection:
    /// unless a later statement was admitted meanwhile, the keep-alive starts.
    /// </summary>
    public void Released(StatementSession session, Statement statement)
    {
        lock (_sync)
        {
            if (session.IsClosed || !ReferenceEquals(session.Current, statement))
            {
                return;
            }
            var left = ExpiresIn(session);
            if (left <= TimeSpan.Zero)
            {
                Expire(session);
                return;
            }
            session.Expiry ??= _time.CreateTimer(static state => ((ExpiryState)state!).Fire(), new ExpiryState(this, session),
                Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            session.Expiry.Change(left, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Closes every session: their connections are closed once no statement holds them.</summary>
    public void Dispose()
    {
        List<StatementSession> sessions;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            sessions = [.. _open.Values];
            _open.Clear();
            foreach (var session in sessions)
            {
                MarkClosed(session);
            }
        }
        // Statements were cancelled by the manager's shutdown first; each lets go of its
        // connection as it ends.
        foreach (var session in sessions)
        {
            if (session.Gate.Wait(CloseWait))
            {
                CloseConnection(session);
            }
            else
            {
                LogSessionNotClosed(_logger, session.Id);
            }
        }
    }

    private void OnExpiry(StatementSession session)
    {
        lock (_sync)
        {
            if (session.IsClosed)
            {
                return;
            }
            var left = ExpiresIn(session);
            if (left == TimeSpan.MaxValue)
            {
                return; // A statement was admitted meanwhile; its end arms the timer again.
            }
            if (left > TimeSpan.Zero)
            {
                session.Expiry?.Change(left, Timeout.InfiniteTimeSpan);
                return;
            }
            Expire(session);
        }
    }

    /// <summary>
    /// Time left until the session expires: its keep-alive after the end of its last statement
    /// (statements end on the manager's clock); MaxValue while a statement runs. Under the lock.
    /// </summary>
    private TimeSpan ExpiresIn(StatementSession session)
    {
        if (session.Current is not { } last)
        {
            return session.CreatedAt + session.KeepAlive - _time.GetUtcNow();
        }
        DateTimeOffset ended;
        lock (last.Sync)
        {
            if (!last.IsEnded)
            {
                return TimeSpan.MaxValue;
            }
            ended = last.UpdatedAt;
        }
        return ended + session.KeepAlive - _time.GetUtcNow();
    }

    /// <summary>Forgets the session and closes its connection once no statement holds it. Under the lock.</summary>
    private void Expire(StatementSession session)
    {
        _open.Remove(session.Id);
        MarkClosed(session);
        _ = CloseWhenReleasedAsync(session);
    }

    private static void MarkClosed(StatementSession session)
    {
        session.IsClosed = true;
        session.Expiry?.Dispose();
        session.Expiry = null;
    }

    private async Task CloseWhenReleasedAsync(StatementSession session)
    {
        // Off the caller's thread: expiry is found under the registry's (and the manager's) lock.
        await Task.Yield();
        // A statement that ended (so the session could expire) may still be leaving the connection.
        await session.Gate.WaitAsync().ConfigureAwait(false);
        CloseConnection(session);
    }

    private void CloseConnection(StatementSession session)
    {
        try
        {
            session.Connection?.Dispose();
        }
        catch (Exception exception)
        {
            LogSessionCloseFailure(_logger, exception, session.Id);
        }
        finally
        {
            session.Connection = null;
            session.Gate.Release();
        }
    }

    private sealed class ExpiryState(StatementSessions owner, StatementSession session)
    {
        public void Fire() => owner.OnExpiry(session);
    }

    [GeneratedRegex("^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}$")]
    private static partial Regex SessionIdPattern();

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Closing the connection of session {SessionId} failed")]
    private static partial void LogSessionCloseFailure(ILogger logger, Exception exception, string sessionId);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Session {SessionId} was still running a statement at shutdown; its connection is left to the process's end")]
    private static partial void LogSessionNotClosed(ILogger logger, string sessionId);
}
