using Microsoft.Extensions.Logging;
using Sluice.Query.Engines;
using Sluice.Query.V1;

namespace Sluice.Query.Statements;

/// <summary>What one re-check of a remotely running statement found.</summary>
public enum RemoteCheckOutcome
{
    /// <summary>Still running remotely: check again later.</summary>
    Running,

    /// <summary>It has ended (or was found gone); the manager ends it locally and publishes the end.</summary>
    Ended,

    /// <summary>This service does not know the statement (expired, or another instance runs it): stop checking.</summary>
    Unknown,
}

/// <summary>The outcome of a re-check and the remote status it saw (or why it could not tell).</summary>
public readonly record struct RemoteCheck(RemoteCheckOutcome Outcome, string RemoteStatus);

/// <summary>A statement ended ABORTED on the remote side (cancelled there, not through Sluice).</summary>
internal sealed class RemoteStatementAbortedException(string message) : Exception(message);

/// <summary>
/// The service stops while a remote statement runs and the statement store is durable: it is left
/// running remotely, STARTED in the store, for the next service's saga re-checks to finish.
/// </summary>
internal sealed class RemoteStatementHandedOverException() : Exception("The query service is stopping; the remote statement is left to the next one.");

// Statements on a remote engine (Redshift): submitted there, then re-checked by the statement saga
// (CheckStatement messages with growing delays) until they end; the finished result is copied into
// the result store so that paging and streaming work as on the embedded engines.
public sealed partial class StatementManager
{
    private static readonly TimeSpan RemoteCancelTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Asks the remote engine once whether statement <paramref name="id"/> has ended; when it
    /// has, the statement's run completes locally (result copied, end published).
    /// </summary>
    public async Task<RemoteCheck> CheckRemoteStatementAsync(string id, CancellationToken cancellationToken)
    {
        if (!_statements.TryGetValue(id, out var statement))
        {
            return new RemoteCheck(RemoteCheckOutcome.Unknown, "UNKNOWN");
        }
        if (statement.IsEnded || statement.RemoteEnd.Task.IsCompleted)
        {
            return new RemoteCheck(RemoteCheckOutcome.Ended, StatusName(statement.Status));
        }
        if (_engine is not IRemoteSqlEngine remote || statement.RemoteId is not { } remoteId)
        {
            return new RemoteCheck(RemoteCheckOutcome.Running, "NOT SUBMITTED");
        }
        DescribeStatementResponse description;
        try
        {
            description = await remote.DescribeAsync(remoteId, cancellationToken).ConfigureAwait(false);
        }
        catch (QueryException exception) when (exception.Type == QueryErrorType.ResourceNotFoundException)
        {
            statement.RemoteEnd.TrySetException(new QueryException(QueryErrorType.ExecuteStatementException,
                $"The remote statement {remoteId} is gone: {exception.Message}"));
            return new RemoteCheck(RemoteCheckOutcome.Ended, "GONE");
        }
        catch (QueryException exception)
        {
            // Unreachable or refusing for now: the saga checks again after a longer delay, and the
            // statement timeout bounds how long that may go on.
            LogRemoteCheckFailure(_logger, exception, id);
            return new RemoteCheck(RemoteCheckOutcome.Running, "CHECK FAILED: " + exception.Message);
        }
        if (!Statement.IsTerminal(description.Status))
        {
            return new RemoteCheck(RemoteCheckOutcome.Running, StatusName(description.Status));
        }
        statement.RemoteEnd.TrySetResult(description);
        return new RemoteCheck(RemoteCheckOutcome.Ended, StatusName(description.Status));
    }

    private async Task ExecuteRemotelyAsync(Statement statement, IRemoteSqlEngine remote, CancellationToken token)
    {
        // A session is the remote service's own: its first statement opens it there, and later ones
        // name the remote id (the caller only ever sees Sluice's).
        var session = statement.Session;
        var submitted = await remote.SubmitAsync(statement.Id, statement.Submission, session?.RemoteSessionId, token).ConfigureAwait(false);
        var remoteId = submitted.Id;
        if (session is not null && submitted.SessionId is { Length: > 0 } remoteSessionId)
        {
            session.RemoteSessionId = remoteSessionId;
        }
        lock (statement.Sync)
        {
            statement.RemoteId = remoteId;
        }
        // The start carries the remote id (RemoteStatementStarted): the saga's re-checks begin there.
        MoveTo(statement, StatementStatus.Started);
        var now = _time.GetUtcNow();
        foreach (var part in statement.Parts)
        {
            statement.UpdatePart(part, now, p =>
            {
                p.Status = StatementStatus.Started;
                p.StartedTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
            });
        }
        DescribeStatementResponse end;
        try
        {
            end = await statement.RemoteEnd.Task.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested && !statement.Cancellation.IsCancellationRequested && _store.IsDurable)
        {
            // Not unseen: the store says it runs there, and the saga's next check reaches the next service.
            throw new RemoteStatementHandedOverException();
        }
        catch (OperationCanceledException)
        {
            // Cancelled, timed out or stopping with nobody to take over: the remote statement must not run on unseen.
            using var cancelTimeout = new CancellationTokenSource(RemoteCancelTimeout);
            try
            {
                await remote.CancelAsync(remoteId, cancelTimeout.Token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is QueryException or OperationCanceledException)
            {
                LogRemoteCancelFailure(_logger, exception, statement.Id, remoteId);
            }
            throw;
        }
        await ApplyRemoteEndAsync(statement, remote, end, token).ConfigureAwait(false);
    }

    /// <summary>Copies the remote end onto the parts (and finished results into the store); throws for a failed or aborted end.</summary>
    private async Task ApplyRemoteEndAsync(Statement statement, IRemoteSqlEngine remote, DescribeStatementResponse end, CancellationToken token)
    {
        for (var i = 0; i < statement.Parts.Count; i++)
        {
            var part = statement.Parts[i];
            var sub = statement.Submission.IsBatch && i < end.SubStatements.Count ? end.SubStatements[i] : null;
            var status = sub?.Status ?? end.Status;
            var remotePartId = sub?.Id ?? end.Id;
            var hasResultSet = sub?.HasResultSet ?? end.HasResultSet;
            var rows = sub?.ResultRows ?? end.ResultRows;
            var error = NullIfEmpty(sub?.Error ?? end.Error);
            StoredResult? result = null;
            if (status == StatementStatus.Finished && hasResultSet)
            {
                result = await CopyRemoteResultAsync(remote, remotePartId, part, token).ConfigureAwait(false);
                rows = result.TotalRows;
            }
            statement.UpdatePart(part, _time.GetUtcNow(), p =>
            {
                p.Status = status;
                p.Error = error;
                p.HasResultSet = hasResultSet;
                p.ResultRows = rows;
                p.Result = result;
                p.EndedTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
            });
        }
        switch (end.Status)
        {
            case StatementStatus.Failed:
                throw new QueryException(QueryErrorType.ExecuteStatementException, NullIfEmpty(end.Error) ?? "The statement failed on the remote engine.");
            case StatementStatus.Aborted:
                throw new RemoteStatementAbortedException(NullIfEmpty(end.Error) ?? "The statement was cancelled on the remote engine.");
        }
    }

    private async Task<StoredResult> CopyRemoteResultAsync(IRemoteSqlEngine remote, string remotePartId, StatementPart part, CancellationToken token)
    {
        var page = await remote.GetResultPageAsync(remotePartId, null, token).ConfigureAwait(false);
        var path = Path.Combine(_options.ResultsDirectory, part.Id.Replace(':', '_') + ".batches");
        await using var writer = new ResultWriter(path, page.ColumnMetadata.ToList(), Math.Max(1, _options.ResultPageRows), _options.ResultPageBytes, _options.MaxResultSizeBytes);
        while (true)
        {
            foreach (var record in page.Records)
            {
                await writer.AddAsync(record).ConfigureAwait(false);
            }
            if (string.IsNullOrEmpty(page.NextToken))
            {
                return await writer.CompleteAsync().ConfigureAwait(false);
            }
            page = await remote.GetResultPageAsync(remotePartId, page.NextToken, token).ConfigureAwait(false);
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Re-checking statement {StatementId} on the remote engine failed; the saga checks again later")]
    private static partial void LogRemoteCheckFailure(ILogger logger, Exception exception, string statementId);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Cancelling remote statement {RemoteStatementId} of statement {StatementId} failed")]
    private static partial void LogRemoteCancelFailure(ILogger logger, Exception exception, string statementId, string remoteStatementId);
}
