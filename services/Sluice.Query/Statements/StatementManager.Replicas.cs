using Microsoft.Extensions.Logging;
using Sluice.Query.V1;

namespace Sluice.Query.Statements;

// Replicas sharing one durable statement store. Each replica holds in memory the statements it
// runs (and those it restored at start); any other statement is read through the store on every
// request, so Describe, List and results answer the same on every replica. Results are read from
// the shared object store when the runner's file is not here (Replicas/SharedResults.cs), and a
// cancel for a statement another replica runs is forwarded to it over the broker.
public sealed partial class StatementManager
{
    private static readonly TimeSpan FirstStorePoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LongestStorePoll = TimeSpan.FromSeconds(1);

    // Read beyond a listing's page: statements created in the same microsecond as the page's
    // cursor sort by ticks here but by microseconds in PostgreSQL, so a few may come back again.
    private const int ListSlack = 16;

    /// <summary>
    /// The statement <paramref name="id"/> names (a sub-statement id finds its batch): the one held
    /// here, or for a statement another replica runs, its state in the store now (a snapshot).
    /// </summary>
    /// <exception cref="QueryException">ResourceNotFoundException, ValidationException, or DatabaseConnectionException when the store cannot be read.</exception>
    public async Task<Statement> FindAsync(string id, CancellationToken cancellationToken)
    {
        ValidateId(id);
        var parentId = ParentIdOf(id);
        if (_statements.ContainsKey(parentId) || !_store.IsDurable)
        {
            return Get(id);
        }
        var record = await ReadStoreAsync(() => _store.FindAsync(parentId, cancellationToken)).ConfigureAwait(false);
        var snapshot = record is null ? null : StatementRecords.Restore(record);
        if (snapshot is null || (parentId != id && snapshot.Parts.All(p => p.Id != id)))
        {
            throw QueryException.NotFound(id);
        }
        return snapshot;
    }

    /// <summary>
    /// Whether statement <paramref name="id"/> (not a sub-statement) was accepted, by this replica or another
    /// sharing the store. As <see cref="FindAsync"/> without the exception for an unknown id, which is the
    /// common answer on the SubmitStatement path.
    /// </summary>
    public async Task<bool> IsAcceptedAsync(string id, CancellationToken cancellationToken)
    {
        ValidateId(id);
        if (_statements.ContainsKey(id))
        {
            return true;
        }
        return _store.IsDurable && await ReadStoreAsync(() => _store.FindAsync(id, cancellationToken)).ConfigureAwait(false) is not null;
    }

    /// <summary>Whether this replica runs (or ran) the statement, so its state here is live.</summary>
    public bool Holds(string id) => _statements.ContainsKey(ParentIdOf(id));

    /// <summary>As <see cref="GetResult"/>, for a statement any replica ran, its file made readable here.</summary>
    public async Task<StoredResult> GetResultAsync(string id, CancellationToken cancellationToken)
    {
        var result = ResultOf(await FindAsync(id, cancellationToken).ConfigureAwait(false), id);
        return await _replicas.Results.LocalAsync(id, result, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>As <see cref="ResolvePage"/>, for a statement any replica ran.</summary>
    public async Task<(StoredResult Result, int BatchIndex, string? NextToken)> ResolvePageAsync(string id, string? nextToken, CancellationToken cancellationToken) =>
        PageOf(await GetResultAsync(id, cancellationToken).ConfigureAwait(false), nextToken);

    /// <summary>
    /// The result to stream. A statement held here must have finished (as before replicas); one
    /// another replica runs is waited for, reading the store with growing pauses (up to 1 s)
    /// until it ends, for as long as the caller waits.
    /// </summary>
    public async Task<StoredResult> WaitForResultAsync(string id, CancellationToken cancellationToken)
    {
        for (var pause = FirstStorePoll; ; pause = Longer(pause))
        {
            var statement = await FindAsync(id, cancellationToken).ConfigureAwait(false);
            if (Holds(id) || statement.IsEnded)
            {
                return await GetResultAsync(id, cancellationToken).ConfigureAwait(false);
            }
            await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The states of a statement another replica runs, as the store shows them, each time it
    /// changes, until it ends (read with growing pauses, up to 1 s).
    /// </summary>
    public async IAsyncEnumerable<Statement> WatchStoredAsync(string id, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        (StatementStatus Status, DateTimeOffset UpdatedAt)? last = null;
        for (var pause = FirstStorePoll; ; pause = Longer(pause))
        {
            var statement = await FindAsync(id, cancellationToken).ConfigureAwait(false);
            var seen = (statement.Status, statement.UpdatedAt);
            if (seen != last)
            {
                last = seen;
                pause = FirstStorePoll;
                yield return statement;
            }
            if (statement.IsEnded)
            {
                yield break;
            }
            await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>As <see cref="List"/>, with the statements of every replica sharing the store.</summary>
    public async Task<StatementPage> ListAsync(string caller, bool allCallers, StatementStatus status, string? namePrefix, int maxResults, string? nextToken,
        CancellationToken cancellationToken)
    {
        var limit = ListLimit(maxResults);
        var after = DecodeListToken(nextToken);
        if (!_store.IsDurable)
        {
            return PageOf(_statements.Values, caller, allCallers, status, namePrefix, limit, after);
        }
        var query = new StatementQuery(allCallers ? null : caller, status, namePrefix, after is { } cursor ? new DateTimeOffset(cursor.Ticks, TimeSpan.Zero) : null,
            limit + 1 + ListSlack);
        var stored = await ReadStoreAsync(() => _store.ListAsync(query, cancellationToken)).ConfigureAwait(false);
        // Held statements answer for themselves: their state here is ahead of their last write.
        var candidates = new Dictionary<string, Statement>(StringComparer.Ordinal);
        foreach (var record in stored)
        {
            candidates[record.Id] = _statements.TryGetValue(record.Id, out var held) ? held : StatementRecords.Restore(record);
        }
        foreach (var held in _statements.Values)
        {
            candidates.TryAdd(held.Id, held);
        }
        return PageOf(candidates.Values, caller, allCallers, status, namePrefix, limit, after);
    }

    /// <summary>
    /// Cancels a statement whichever replica runs it. One held here is cancelled here; for one
    /// another replica runs, the request goes to it over the broker, and the answer is the
    /// store's: false when it had already ended; otherwise whether it ended ABORTED, once the
    /// store shows its end within Sluice:Query:Replicas:CancelWait (true if it has not ended by then).
    /// </summary>
    public async Task<bool> CancelAnywhereAsync(string id, CancellationToken cancellationToken)
    {
        var statement = await FindAsync(id, cancellationToken).ConfigureAwait(false);
        if (Holds(id))
        {
            return await CancelAsync(id).ConfigureAwait(false);
        }
        if (statement.IsEnded)
        {
            return false;
        }
        var cancels = _replicas.Cancels ?? throw new QueryException(QueryErrorType.DatabaseConnectionException,
            $"Statement '{id}' runs on another query service replica, and this one has no message bus (Sluice:Broker) to reach it.");
        await cancels.RequestCancelAsync(statement.Id, cancellationToken).ConfigureAwait(false);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(_replicas.Options.CancelWait);
        try
        {
            await foreach (var state in WatchStoredAsync(statement.Id, wait.Token).ConfigureAwait(false))
            {
                if (state.IsEnded)
                {
                    return state.Status == StatementStatus.Aborted;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Not ended within CancelWait: the runner has the request; Describe shows the end.
        }
        return true;
    }

    /// <summary>
    /// Takes over the statements of replicas whose lease expired (see <see cref="IStatementStore.ClaimOrphansAsync"/>):
    /// returns those nothing will finish, for <see cref="EndInterrupted"/>.
    /// </summary>
    public async Task<IReadOnlyList<Statement>> ClaimOrphansAsync(CancellationToken cancellationToken)
    {
        var claimed = await _store.ClaimOrphansAsync(_replicas.Options.LeaseTimeout, cancellationToken).ConfigureAwait(false);
        if (claimed.Count > 0)
        {
            LogClaimed(_logger, claimed.Count, _replicas.ReplicaId);
        }
        return TakeOver(claimed);
    }

    /// <summary>
    /// What a starting replica holds: every ended statement, and those not ended that it claims
    /// because their runner's lease expired. Statements live replicas run stay theirs.
    /// </summary>
    private async Task<IReadOnlyList<StatementRecord>> LoadRestorableAsync(CancellationToken cancellationToken)
    {
        var all = await _store.LoadAllAsync(cancellationToken).ConfigureAwait(false);
        if (!_store.IsDurable)
        {
            return all;
        }
        var claimed = await _store.ClaimOrphansAsync(_replicas.Options.LeaseTimeout, cancellationToken).ConfigureAwait(false);
        var claimedIds = claimed.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        return [.. all.Where(r => Statement.IsTerminal(r.Status) && !claimedIds.Contains(r.Id)), .. claimed];
    }

    /// <summary>Deletes the shared copies of results that were discarded or expired, in the background.</summary>
    private void ForgetSharedResults(IReadOnlyCollection<string> partIds)
    {
        if (partIds.Count == 0 || !_replicas.Results.IsShared)
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await _replicas.Results.ForgetAsync(partIds, _shutdownToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogSharedResultDeleteFailed(_logger, exception, partIds.First());
            }
            catch (OperationCanceledException)
            {
                // Stopping: the copies stay in the object store until deleted by hand.
            }
        });
    }

    private static async Task<T> ReadStoreAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not (OperationCanceledException or QueryException))
        {
            throw new QueryException(QueryErrorType.DatabaseConnectionException,
                $"The state store (Sluice:Query:State) could not be read, and the statement is not held by this replica: {exception.Message}");
        }
    }

    private static string ParentIdOf(string id) => id.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0 ? id[..colon] : id;

    private static TimeSpan Longer(TimeSpan pause) => TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestStorePoll.Ticks));

    [LoggerMessage(EventId = 60, Level = LogLevel.Warning, Message = "Took over {Count} statements left by query replicas whose lease expired (this replica: {ReplicaId})")]
    private static partial void LogClaimed(ILogger logger, int count, string replicaId);

    [LoggerMessage(EventId = 61, Level = LogLevel.Warning, Message = "Deleting the shared result copies of statement {StatementId} failed; they stay in the object store")]
    private static partial void LogSharedResultDeleteFailed(ILogger logger, Exception exception, string statementId);
}
