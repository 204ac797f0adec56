using System.Collections.Concurrent;
using Sluice.Query.V1;

namespace Sluice.Query.Statements;

/// <summary>
/// Where statements and their result metadata outlive the process (the results' records stay in
/// their files): written on every transition, read once at start.
/// </summary>
public interface IStatementStore
{
    /// <summary>True when what it holds outlives the process, so a restarted service can take over what this one leaves.</summary>
    bool IsDurable { get; }

    /// <summary>Writes the statement's current state over its previous one.</summary>
    Task SaveAsync(StatementRecord record, CancellationToken cancellationToken);

    /// <summary>Every statement kept, in no particular order.</summary>
    Task<IReadOnlyList<StatementRecord>> LoadAllAsync(CancellationToken cancellationToken);

    /// <summary>Forgets statements (retention ended).</summary>
    Task DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a statement the store does not hold yet, made by this replica (its runner).
    /// </summary>
    /// <exception cref="StatementConflictException">Its id, or its caller's client token, is already stored (by any replica).</exception>
    Task AddAsync(StatementRecord record, CancellationToken cancellationToken);

    /// <summary>The stored statement <paramref name="id"/> (whichever replica runs it); null when there is none.</summary>
    Task<StatementRecord?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>Stored statements matching <paramref name="query"/>, newest first (then by id).</summary>
    Task<IReadOnlyList<StatementRecord>> ListAsync(StatementQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Makes this replica the runner of every statement not ended whose runner's lease is older
    /// than <paramref name="leaseTimeout"/> (or that has no runner), and returns them. Each is
    /// claimed by one replica only, however many claim at once.
    /// </summary>
    Task<IReadOnlyList<StatementRecord>> ClaimOrphansAsync(TimeSpan leaseTimeout, CancellationToken cancellationToken);
}

/// <summary>
/// Which stored statements a listing wants: a caller's (null: every caller's), of a status
/// (Unspecified: any), named with a prefix, created at or before a time; at most <paramref name="Limit"/>.
/// </summary>
public sealed record StatementQuery(string? Caller, StatementStatus Status, string? NamePrefix, DateTimeOffset? CreatedAtOrBefore, int Limit);

/// <summary>A statement could not be added: its id, or its caller's client token, is already stored.</summary>
public sealed class StatementConflictException(string message, string? existingIdForToken) : Exception(message)
{
    /// <summary>For a client token already used: the id of the statement it names; null for an id conflict.</summary>
    public string? ExistingIdForToken { get; } = existingIdForToken;
}

/// <summary>The embedded profile's store: the process's memory, so statements end with it.</summary>
public sealed class InMemoryStatementStore : IStatementStore
{
    private readonly ConcurrentDictionary<string, StatementRecord> _records = new(StringComparer.Ordinal);
    private readonly Lock _adding = new();

    public bool IsDurable => false;

    public Task SaveAsync(StatementRecord record, CancellationToken cancellationToken)
    {
        _records[record.Id] = record;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<StatementRecord>> LoadAllAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<StatementRecord>>(_records.Values.ToList());

    public Task DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        foreach (var id in ids)
        {
            _records.TryRemove(id, out _);
        }
        return Task.CompletedTask;
    }

    public Task AddAsync(StatementRecord record, CancellationToken cancellationToken)
    {
        lock (_adding)
        {
            if (record.ClientToken is { Length: > 0 } token
                && _records.Values.FirstOrDefault(r => r.Caller == record.Caller && r.ClientToken == token) is { } existing)
            {
                throw new StatementConflictException($"Client token '{token}' already names statement '{existing.Id}'.", existing.Id);
            }
            if (!_records.TryAdd(record.Id, record))
            {
                throw new StatementConflictException($"Statement id '{record.Id}' is already in use.", null);
            }
        }
        return Task.CompletedTask;
    }

    public Task<StatementRecord?> FindAsync(string id, CancellationToken cancellationToken) =>
        Task.FromResult(_records.GetValueOrDefault(id));

    public Task<IReadOnlyList<StatementRecord>> ListAsync(StatementQuery query, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<StatementRecord>>(_records.Values
            .Where(r => query.Caller is null || r.Caller == query.Caller)
            .Where(r => query.Status == StatementStatus.Unspecified || r.Status == query.Status)
            .Where(r => string.IsNullOrEmpty(query.NamePrefix) || (r.StatementName ?? "").StartsWith(query.NamePrefix, StringComparison.Ordinal))
            .Where(r => query.CreatedAtOrBefore is not { } before || r.CreatedAt <= before)
            .OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal)
            .Take(query.Limit)
            .ToList());

    /// <summary>None: the process's memory is shared with no other replica, and the statements in it end with it.</summary>
    public Task<IReadOnlyList<StatementRecord>> ClaimOrphansAsync(TimeSpan leaseTimeout, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<StatementRecord>>([]);
}
