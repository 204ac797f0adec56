using System.Collections.Concurrent;

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
}

/// <summary>The embedded profile's store: the process's memory, so statements end with it.</summary>
public sealed class InMemoryStatementStore : IStatementStore
{
    private readonly ConcurrentDictionary<string, StatementRecord> _records = new(StringComparer.Ordinal);

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
}
