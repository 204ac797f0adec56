using Sluice.Query.V1;

namespace Sluice.Query.Statements;

/// <summary>What StreamStatementResult sends: a finished part's stored result, or the result a running part is writing.</summary>
public sealed class ResultStream
{
    private readonly StoredResult? _stored;
    private readonly ResultTail? _tail;

    private ResultStream(StoredResult? stored, ResultTail? tail)
    {
        _stored = stored;
        _tail = tail;
    }

    internal static ResultStream Of(StoredResult stored) => new(stored, null);

    internal static ResultStream Following(ResultTail tail) => new(null, tail);

    public IReadOnlyList<ColumnMetadata> Columns => _stored?.Columns ?? _tail!.Columns;

    /// <summary>Rows of the whole result; -1 while the statement still writes it.</summary>
    public long TotalRows => _stored?.TotalRows ?? -1;

    /// <inheritdoc cref="StoredResult.ReadAllSerializedAsync"/>
    public IAsyncEnumerable<Memory<byte>> ReadAllSerializedAsync(int reservedPrefix, CancellationToken cancellationToken) =>
        _stored?.ReadAllSerializedAsync(reservedPrefix, cancellationToken) ?? _tail!.ReadAllSerializedAsync(reservedPrefix, cancellationToken);
}

// Following a result while its statement writes it (StreamStatementResult on a running statement).
public sealed partial class StatementManager
{
    /// <summary>
    /// The result of a statement or sub-statement to stream: the stored one once it finished; while it runs, the result
    /// it writes, followed batch by batch. Waits while the part has not started writing (submitted, queued, an earlier
    /// part of its batch still running, or a remote engine that hands its result over only at the end). A statement
    /// another replica runs is waited for until it ends.
    /// </summary>
    /// <exception cref="QueryException">As <see cref="GetResult"/>: unknown statement, a batch's own id, a part that ended without a result.</exception>
    public async Task<ResultStream> OpenResultStreamAsync(string id, CancellationToken cancellationToken)
    {
        if (!Holds(id))
        {
            // Another replica runs it (or ran it): its result is readable here once it has ended.
            return ResultStream.Of(await WaitForResultAsync(id, cancellationToken).ConfigureAwait(false));
        }
        var statement = Get(id);
        var part = statement.Submission.IsBatch && !id.Contains(':', StringComparison.Ordinal)
            ? null
            : statement.Parts.SingleOrDefault(p => p.Id == id);
        while (part is not null)
        {
            long version;
            lock (statement.Sync)
            {
                version = statement.Version;
                if (Statement.IsTerminal(part.Status) || statement.IsEnded)
                {
                    break;
                }
                if (part.Tail is { } tail)
                {
                    return ResultStream.Following(tail);
                }
            }
            await statement.WaitForChangeAsync(version, cancellationToken).ConfigureAwait(false);
        }
        return ResultStream.Of(await GetResultAsync(id, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The error a followed result ends with when its statement stopped before writing it whole.</summary>
    public async Task<QueryException> AbandonedResultErrorAsync(string id, CancellationToken cancellationToken)
    {
        var statement = Get(id);
        var part = statement.Parts.Single(p => p.Id == id);
        // The writer gives the result up before the part's end is recorded: wait for that end.
        while (true)
        {
            long version;
            lock (statement.Sync)
            {
                version = statement.Version;
                if (Statement.IsTerminal(part.Status) || statement.IsEnded)
                {
                    var status = Statement.IsTerminal(part.Status) ? part.Status : statement.Status;
                    var error = part.Error ?? statement.Error;
                    return new QueryException(QueryErrorType.ResourceNotFoundException,
                        $"Query does not have a result: statement '{id}' is {StatusName(status)}{(error is { Length: > 0 } ? ": " + error : "")}. The rows already sent are not its whole result.", "Id", id);
                }
            }
            await statement.WaitForChangeAsync(version, cancellationToken).ConfigureAwait(false);
        }
    }
}
