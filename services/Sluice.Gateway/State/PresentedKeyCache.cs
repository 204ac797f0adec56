using System.Collections.Concurrent;
using Sluice.Gateway.Storage;

namespace Sluice.Gateway.State;

/// <summary>
/// The keys already found, by the value callers present, so a key presented again skips its
/// SHA-256. One per <see cref="GatewaySnapshot"/>: a change of keys starts an empty one, so a deleted
/// or changed key is never answered from here. Bounded: once <see cref="Capacity"/> values are
/// held, further ones are hashed on each request. Only values that matched a key are kept, so
/// callers presenting random values cannot fill it.
/// </summary>
internal sealed class PresentedKeyCache
{
    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, ApiKeyRecord> _keys = new(SeededStringComparer.Instance);
    private int _count;

    public bool TryGet(string presented, out ApiKeyRecord key) => _keys.TryGetValue(presented, out key!);

    public void Remember(string presented, ApiKeyRecord key)
    {
        if (Volatile.Read(ref _count) < Capacity && _keys.TryAdd(presented, key))
        {
            Interlocked.Increment(ref _count);
        }
    }

    /// <summary>
    /// Ordinal equality behind string's per-process seeded hash (ConcurrentDictionary's own string
    /// comparer starts unseeded): a probe reaches a character comparison with a held key only on a
    /// full hash match, which a caller cannot aim for without the seed, so lookup time tells nothing
    /// about the keys held.
    /// </summary>
    private sealed class SeededStringComparer : IEqualityComparer<string>
    {
        public static readonly SeededStringComparer Instance = new();

        public bool Equals(string? x, string? y) => string.Equals(x, y, StringComparison.Ordinal);

        public int GetHashCode(string value) => value.GetHashCode(StringComparison.Ordinal);
    }
}
