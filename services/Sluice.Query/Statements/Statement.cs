using System.Diagnostics;
using Sluice.Query.V1;

namespace Sluice.Query.Statements;

/// <summary>Data API request fields that only a Redshift engine uses; kept to echo them back.</summary>
public sealed record StatementLocation(string? ClusterIdentifier = null, string? DbUser = null, string? SecretArn = null, string? WorkgroupName = null)
{
    public static readonly StatementLocation None = new();
}

/// <summary>
/// What a caller asks to run (one statement, or a batch run in one transaction). With
/// <see cref="SessionId"/> it runs in that session (and, once admitted, carries the session's
/// database and location); with <see cref="SessionKeepAliveSeconds"/> alone it opens a new one.
/// </summary>
public sealed record StatementSubmission(
    string Caller,
    string Database,
    IReadOnlyList<string> Sqls,
    bool IsBatch,
    IReadOnlyList<SqlParameter> Parameters,
    string? StatementName = null,
    bool WithEvent = false,
    string? ClientToken = null,
    StatementLocation? Location = null,
    string? StatementId = null,
    string ResultFormat = ResultFormats.Json,
    string? SessionId = null,
    int SessionKeepAliveSeconds = 0);

/// <summary>
/// One SQL text of a statement: the statement itself, or a sub-statement <c>&lt;id&gt;:n</c> of a batch.
/// Mutated only under its statement's lock.
/// </summary>
public sealed class StatementPart(string id, string sql, DateTimeOffset createdAt)
{
    public string Id { get; } = id;

    public string Sql { get; } = sql;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public StatementStatus Status { get; internal set; } = StatementStatus.Submitted;

    public DateTimeOffset UpdatedAt { get; internal set; } = createdAt;

    public string? Error { get; internal set; }

    public bool HasResultSet { get; internal set; }

    /// <summary>Rows returned or affected; -1 until known.</summary>
    public long ResultRows { get; internal set; } = -1;

    public StoredResult? Result { get; internal set; }

    /// <summary>The result while the part writes it (followed by StreamStatementResult); null before and once it ended.</summary>
    internal ResultTail? Tail { get; set; }

    /// <summary>The query id the warehouse gave this part when it started (Redshift's RedshiftQueryId); 0 before.</summary>
    public long QueryId { get; internal set; }

    internal long StartedTimestamp { get; set; }

    internal long EndedTimestamp { get; set; }

    /// <summary>The duration a restored part ran in the process that ran it (its timestamps were that process's).</summary>
    internal long? RestoredDurationNanoseconds { get; set; }

    /// <summary>Nanoseconds it ran: until it ended, or until now while it runs.</summary>
    public long DurationNanoseconds => RestoredDurationNanoseconds
        ?? (StartedTimestamp == 0 ? 0 : (long)Stopwatch.GetElapsedTime(StartedTimestamp, EndedTimestamp == 0 ? Stopwatch.GetTimestamp() : EndedTimestamp).TotalNanoseconds);
}

/// <summary>A submitted statement and its lifecycle SUBMITTED → PICKED → STARTED → FINISHED | FAILED | ABORTED.</summary>
public sealed class Statement
{
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Statement(string id, StatementSubmission submission, DateTimeOffset createdAt)
    {
        Id = id;
        Submission = submission;
        CreatedAt = createdAt;
        UpdatedAt = createdAt;
        Parts = submission.IsBatch
            ? submission.Sqls.Select((sql, i) => new StatementPart($"{id}:{i + 1}", sql, createdAt)).ToList()
            : [new StatementPart(id, submission.Sqls[0], createdAt)];
    }

    public string Id { get; }

    public StatementSubmission Submission { get; }

    public DateTimeOffset CreatedAt { get; }

    public IReadOnlyList<StatementPart> Parts { get; }

    /// <summary>Guards every mutable member of the statement and its parts.</summary>
    internal object Sync { get; } = new();

    public StatementStatus Status { get; private set; } = StatementStatus.Submitted;

    public DateTimeOffset UpdatedAt { get; private set; }

    public string? Error { get; private set; }

    /// <summary>Incremented on every change; lets watchers wait for the next one.</summary>
    public long Version { get; private set; }

    internal CancellationTokenSource Cancellation { get; } = new();

    /// <summary>The session the statement runs in; null when it has a connection of its own.</summary>
    internal StatementSession? Session { get; init; }

    /// <summary>The id a remote engine gave the statement once it accepted it; null on other engines.</summary>
    public string? RemoteId { get; internal set; }

    /// <summary>Completed by a re-check that found the remote statement ended (or gone).</summary>
    internal TaskCompletionSource<DescribeStatementResponse> RemoteEnd { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The chain of observer notifications, so observers see transitions in order.</summary>
    internal Task Notifications { get; set; } = Task.CompletedTask;

    /// <summary>The chain of writes to the statement store, so the stored state only moves forward.</summary>
    internal Task Persistence { get; set; } = Task.CompletedTask;

    /// <summary>The duration a restored statement ran in the process that ran it.</summary>
    private long? _restoredDurationNanoseconds;

    internal long StartedTimestamp { get; private set; }

    internal long EndedTimestamp { get; private set; }

    public bool IsEnded => IsTerminal(Status);

    public long DurationNanoseconds => _restoredDurationNanoseconds
        ?? (StartedTimestamp == 0 ? 0 : (long)Stopwatch.GetElapsedTime(StartedTimestamp, EndedTimestamp == 0 ? Stopwatch.GetTimestamp() : EndedTimestamp).TotalNanoseconds);

    /// <summary>Rows of the last part (for a batch, what its last statement returned or changed).</summary>
    public long ResultRows => Parts[^1].ResultRows;

    public static bool IsTerminal(StatementStatus status) =>
        status is StatementStatus.Finished or StatementStatus.Failed or StatementStatus.Aborted;

    /// <summary>Completes when <see cref="Version"/> differs from <paramref name="seenVersion"/>.</summary>
    public Task WaitForChangeAsync(long seenVersion, CancellationToken cancellationToken)
    {
        lock (Sync)
        {
            return Version != seenVersion ? Task.CompletedTask : _changed.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Takes the state a statement had in the store (written by this or an earlier process); used
    /// before the statement is visible to anyone.
    /// </summary>
    internal void Restore(StatementStatus status, DateTimeOffset updatedAt, string? error, string? remoteId, long durationNanoseconds)
    {
        lock (Sync)
        {
            Status = status;
            UpdatedAt = updatedAt;
            Error = error;
            RemoteId = remoteId;
            if (IsEnded)
            {
                _restoredDurationNanoseconds = durationNanoseconds;
            }
            else
            {
                // Still running remotely: its time goes on from the restart, plus what had passed before.
                StartedTimestamp = Stopwatch.GetTimestamp() - (long)(durationNanoseconds / 1e9 * Stopwatch.Frequency);
            }
        }
    }

    /// <summary>Moves to <paramref name="status"/>; false when the statement has already ended.</summary>
    internal bool TryMoveTo(StatementStatus status, DateTimeOffset now, string? error = null)
    {
        TaskCompletionSource changed;
        lock (Sync)
        {
            if (IsEnded)
            {
                return false;
            }
            Status = status;
            UpdatedAt = now;
            var timestamp = Stopwatch.GetTimestamp();
            if (status == StatementStatus.Started)
            {
                StartedTimestamp = timestamp;
            }
            if (IsTerminal(status))
            {
                Error = error;
                EndedTimestamp = timestamp;
                if (StartedTimestamp == 0)
                {
                    StartedTimestamp = timestamp;
                }
                EndOpenParts(status, now, timestamp);
            }
            changed = Bump();
        }
        changed.TrySetResult();
        return true;
    }

    /// <summary>Applies <paramref name="update"/> to a part under the lock and notifies watchers.</summary>
    internal void UpdatePart(StatementPart part, DateTimeOffset now, Action<StatementPart> update)
    {
        TaskCompletionSource changed;
        lock (Sync)
        {
            if (IsEnded)
            {
                return; // Cancelled meanwhile: the part keeps the state the end gave it.
            }
            update(part);
            part.UpdatedAt = now;
            UpdatedAt = now;
            changed = Bump();
        }
        changed.TrySetResult();
    }

    private TaskCompletionSource Bump()
    {
        Version++;
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return changed;
    }

    private void EndOpenParts(StatementStatus status, DateTimeOffset now, long timestamp)
    {
        foreach (var part in Parts)
        {
            if (IsTerminal(part.Status))
            {
                continue;
            }
            // A part that never ran after a failure elsewhere in the batch was aborted with it.
            part.Status = status == StatementStatus.Failed && part.StartedTimestamp == 0 ? StatementStatus.Aborted : status;
            part.UpdatedAt = now;
            part.EndedTimestamp = timestamp;
            if (status != StatementStatus.Finished && part.StartedTimestamp != 0)
            {
                part.Error ??= Error;
            }
        }
    }
}
