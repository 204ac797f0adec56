using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Sluice.DataQuality.Metrics;

/// <summary>
/// Counts occurrences of byte-string keys without a managed object per key: keys live in one growing
/// byte arena and entries in parallel arrays, with open addressing over a power-of-two bucket array.
/// The hash is seeded per table so crafted input cannot aim collisions at it.
/// </summary>
internal sealed class ValueFrequencyTable
{
    private const int MaxArenaBytes = 0x7FFFFFC7; // Array.MaxLength

    private struct Entry
    {
        public ulong Hash;
        public int Offset;
        public int Length;
        public long Count;
    }

    private readonly ulong _seed = BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(8));
    private int[] _buckets = new int[1024];
    private Entry[] _entries = new Entry[512];
    private byte[] _arena = new byte[16 * 1024];
    private int _arenaUsed;
    private int _count;

    /// <summary>Number of distinct keys.</summary>
    public int DistinctCount => _count;

    /// <summary>Adds one occurrence of the key.</summary>
    public void Add(ReadOnlySpan<byte> key) => Add(key, 1);

    /// <summary>Adds <paramref name="occurrences"/> occurrences of the key.</summary>
    public void Add(ReadOnlySpan<byte> key, long occurrences)
    {
        var hash = Hash(key, _seed);
        var mask = _buckets.Length - 1;
        var bucket = (int)hash & mask;
        while (true)
        {
            var slot = _buckets[bucket];
            if (slot == 0)
            {
                break;
            }
            ref var entry = ref _entries[slot - 1];
            if (entry.Hash == hash && _arena.AsSpan(entry.Offset, entry.Length).SequenceEqual(key))
            {
                entry.Count += occurrences;
                return;
            }
            bucket = (bucket + 1) & mask;
        }

        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
        }
        var offset = Store(key);
        _entries[_count] = new Entry { Hash = hash, Offset = offset, Length = key.Length, Count = occurrences };
        _buckets[bucket] = ++_count;
        if (_count * 2 > _buckets.Length)
        {
            Rehash();
        }
    }

    /// <summary>True when the key was added at least once.</summary>
    public bool Contains(ReadOnlySpan<byte> key)
    {
        var hash = Hash(key, _seed);
        var mask = _buckets.Length - 1;
        for (var bucket = (int)hash & mask; _buckets[bucket] != 0; bucket = (bucket + 1) & mask)
        {
            ref var entry = ref _entries[_buckets[bucket] - 1];
            if (entry.Hash == hash && _arena.AsSpan(entry.Offset, entry.Length).SequenceEqual(key))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Number of keys seen exactly once.</summary>
    public long CountOccurringOnce()
    {
        long once = 0;
        for (var i = 0; i < _count; i++)
        {
            if (_entries[i].Count == 1)
            {
                once++;
            }
        }
        return once;
    }

    /// <summary>Adds how many keys occurred how often.</summary>
    public void AddCountsTo(CountHistogram histogram)
    {
        for (var i = 0; i < _count; i++)
        {
            histogram.Add(_entries[i].Count);
        }
    }

    /// <summary>Adds every occurrence <paramref name="other"/> counted (each table has its own seed, so keys are rehashed).</summary>
    public void MergeFrom(ValueFrequencyTable other)
    {
        for (var i = 0; i < other._count; i++)
        {
            ref var entry = ref other._entries[i];
            Add(other._arena.AsSpan(entry.Offset, entry.Length), entry.Count);
        }
    }

    private int Store(ReadOnlySpan<byte> key)
    {
        if (_arenaUsed + key.Length > _arena.Length)
        {
            var needed = (long)_arenaUsed + key.Length;
            if (needed > MaxArenaBytes)
            {
                throw new InvalidOperationException("Too many distinct values to count in memory (over 2 GB of keys).");
            }
            var size = Math.Min(MaxArenaBytes, Math.Max(needed, (long)_arena.Length * 2));
            Array.Resize(ref _arena, (int)size);
        }
        var offset = _arenaUsed;
        key.CopyTo(_arena.AsSpan(offset));
        _arenaUsed += key.Length;
        return offset;
    }

    private void Rehash()
    {
        var buckets = new int[_buckets.Length * 2];
        var mask = buckets.Length - 1;
        for (var i = 0; i < _count; i++)
        {
            var bucket = (int)_entries[i].Hash & mask;
            while (buckets[bucket] != 0)
            {
                bucket = (bucket + 1) & mask;
            }
            buckets[bucket] = i + 1;
        }
        _buckets = buckets;
    }

    internal static ulong Hash(ReadOnlySpan<byte> data, ulong seed)
    {
        const ulong K = 0x9E3779B97F4A7C15;
        var h = seed ^ ((ulong)data.Length * K);
        while (data.Length >= 8)
        {
            h = BitOperations.RotateLeft((h ^ BinaryPrimitives.ReadUInt64LittleEndian(data)) * K, 29) * 0xBF58476D1CE4E5B9;
            data = data[8..];
        }
        if (data.Length > 0)
        {
            // The last 1..7 bytes in at most two loads (overlapping when fewer than 8); the length is already mixed in.
            var tail = data.Length >= 4
                ? BinaryPrimitives.ReadUInt32LittleEndian(data) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(data[^4..]) << 32)
                : data[0] | ((ulong)data[data.Length >> 1] << 8) | ((ulong)data[^1] << 16);
            h = BitOperations.RotateLeft((h ^ tail) * K, 29) * 0xBF58476D1CE4E5B9;
        }
        // Final avalanche (MurmurHash3 fmix64) so low bits, used for buckets, depend on every input bit.
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCD;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53;
        h ^= h >> 33;
        return h;
    }
}
