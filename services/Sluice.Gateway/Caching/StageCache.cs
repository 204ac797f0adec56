using System.Diagnostics.Metrics;
using Sluice.Gateway.Integrations;
using Sluice.Gateway.Storage;

namespace Sluice.Gateway.Caching;

/// <summary>
/// The stage caches: per deployed stage, integration responses by cache key (the method and the
/// values of its cacheKeyParameters), each until its TTL, the least recently used dropped when the
/// stage's capacity is reached. A new deployment of a stage, a new capacity, or a flush recorded in
/// the store (a new <see cref="CacheScope.Flushes"/> count, possibly from another gateway) starts an
/// empty cache.
/// </summary>
internal sealed class StageCache(TimeProvider time, IMeterFactory meters)
{
    private readonly Dictionary<(string ApiId, string Stage), Partition> _partitions = [];
    private readonly Lock _gate = new();
    private readonly Meter _meter = meters.Create("Sluice");
    private Counter<long>? _hits;
    private Counter<long>? _misses;

    private Counter<long> Hits => _hits ??= _meter.CreateCounter<long>("sluice.gateway.cache.hits", "{request}", "Gateway requests answered from the stage cache.");

    private Counter<long> Misses => _misses ??= _meter.CreateCounter<long>("sluice.gateway.cache.misses", "{request}", "Gateway requests to cached methods that called the integration.");

    public IntegrationResult? TryGet(CacheScope scope, string key)
    {
        var partition = PartitionFor(scope);
        var found = partition.TryGet(key, time.GetUtcNow());
        (found is null ? Misses : Hits).Add(1, new KeyValuePair<string, object?>("api_id", scope.ApiId), new KeyValuePair<string, object?>("stage", scope.Stage));
        return found;
    }

    public void Put(CacheScope scope, string key, IntegrationResult result, TimeSpan ttl) =>
        PartitionFor(scope).Put(key, result, time.GetUtcNow() + ttl);

    /// <summary>Drops one entry (a permitted "Cache-Control: max-age=0" refreshes it).</summary>
    public void Remove(CacheScope scope, string key) => PartitionFor(scope).Remove(key);

    /// <summary>
    /// Drops the caches of stages that are gone or changed (deployment, capacity or flush count) in
    /// <paramref name="current"/>, the scopes of the stages just loaded: how a flush or delete-stage
    /// made on another gateway sharing the store empties this gateway's cache.
    /// </summary>
    public void Retain(IReadOnlyDictionary<(string ApiId, string Stage), CacheScope> current)
    {
        lock (_gate)
        {
            foreach (var (stage, partition) in _partitions)
            {
                if (!current.TryGetValue(stage, out var scope) || !partition.Serves(scope))
                {
                    _partitions.Remove(stage);
                }
            }
        }
    }

    private Partition PartitionFor(CacheScope scope)
    {
        lock (_gate)
        {
            if (!_partitions.TryGetValue((scope.ApiId, scope.Stage), out var partition) || !partition.Serves(scope))
            {
                partition = new Partition(scope);
                _partitions[(scope.ApiId, scope.Stage)] = partition;
            }
            return partition;
        }
    }

    private sealed record Entry(string Key, IntegrationResult Result, DateTimeOffset Expires, long Size);

    private sealed class Partition(CacheScope scope)
    {
        private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
        private readonly LinkedList<Entry> _recent = new();
        private readonly long _capacity = scope.CapacityBytes;
        private long _used;

        /// <summary>Whether this cache is still the one of <paramref name="current"/>: same deployment, capacity and flush count.</summary>
        public bool Serves(CacheScope current) => current == scope;

        public IntegrationResult? TryGet(string key, DateTimeOffset now)
        {
            lock (_entries)
            {
                if (!_entries.TryGetValue(key, out var node))
                {
                    return null;
                }
                if (node.Value.Expires <= now)
                {
                    Drop(node);
                    return null;
                }
                _recent.Remove(node);
                _recent.AddFirst(node);
                return node.Value.Result;
            }
        }

        public void Put(string key, IntegrationResult result, DateTimeOffset expires)
        {
            var size = 2L * (key.Length + result.Body.Length + result.ContentType.Length + result.Headers.Sum(h => h.Key.Length + h.Value.Length)) + 64;
            if (size > _capacity)
            {
                return;
            }
            lock (_entries)
            {
                if (_entries.TryGetValue(key, out var existing))
                {
                    Drop(existing);
                }
                while (_used + size > _capacity && _recent.Last is { } oldest)
                {
                    Drop(oldest);
                }
                _entries[key] = _recent.AddFirst(new Entry(key, result, expires, size));
                _used += size;
            }
        }

        public void Remove(string key)
        {
            lock (_entries)
            {
                if (_entries.TryGetValue(key, out var node))
                {
                    Drop(node);
                }
            }
        }

        private void Drop(LinkedListNode<Entry> node)
        {
            _recent.Remove(node);
            _entries.Remove(node.Value.Key);
            _used -= node.Value.Size;
        }
    }
}

/// <summary>Which stage cache a request uses: one per deployment, capacity and flush count of a stage.</summary>
internal readonly record struct CacheScope(string ApiId, string Stage, string DeploymentId, long CapacityBytes, long Flushes)
{
    public static CacheScope Of(StageRecord stage) => new(stage.ApiId, stage.StageName, stage.DeploymentId, stage.Cache?.CapacityBytes ?? 0, stage.CacheFlushes);
}
