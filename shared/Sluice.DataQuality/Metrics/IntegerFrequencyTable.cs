using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Sluice.DataQuality.Metrics;

/// <summary>
/// Counts occurrences of 64-bit integers (the usual shape of id columns) in one flat array of
/// (key, count) pairs with linear probing. The bucket keeps the low 4 bits of the key and mixes the rest
/// with a seeded hash: runs of 16 consecutive ids land in adjacent slots (a few cache lines instead of 16
/// misses), while keys chosen to collide cannot be aimed at the table without knowing the seed.
/// Probing steps a whole group of 16 slots at a time, so a block that lands on an occupied group moves
/// to the next group intact instead of every key walking through the other block's slots.
/// </summary>
internal sealed class IntegerFrequencyTable
{
    private const int GroupSize = 16;

    private struct Slot
    {
        public long Key;
        public long Count; // 0 marks an empty slot
    }

    private readonly ulong _seed = BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(8));
    private Slot[] _slots = new Slot[1024];

    public int DistinctCount { get; private set; }

    public void Add(long key)
    {
        var mask = _slots.Length - 1;
        var index = Index(key, mask);
        while (true)
        {
            ref var slot = ref _slots[index];
            if (slot.Count == 0)
            {
                slot.Key = key;
                slot.Count = 1;
                if (++DistinctCount * 2 > _slots.Length)
                {
                    Grow();
                }
                return;
            }
            if (slot.Key == key)
            {
                slot.Count++;
                return;
            }
            index = (index + GroupSize) & mask;
        }
    }

    public long CountOccurringOnce()
    {
        long once = 0;
        foreach (var slot in _slots)
        {
            if (slot.Count == 1)
            {
                once++;
            }
        }
        return once;
    }

    /// <summary>Adds this table's share of the entropy sum, -Σ p ln p over <paramref name="total"/> occurrences.</summary>
    public double EntropyTerms(long total)
    {
        var entropy = 0.0;
        foreach (var slot in _slots)
        {
            if (slot.Count > 0)
            {
                var p = slot.Count / (double)total;
                entropy -= p * Math.Log(p);
            }
        }
        return entropy;
    }

    private int Index(long key, int mask)
    {
        var high = ((ulong)key >> 4) ^ _seed;
        // MurmurHash3 fmix64 on the high bits.
        high ^= high >> 33;
        high *= 0xFF51AFD7ED558CCD;
        high ^= high >> 33;
        high *= 0xC4CEB9FE1A85EC53;
        high ^= high >> 33;
        return (int)(((high << 4) | ((ulong)key & 15)) & (ulong)mask);
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new Slot[old.Length * 2];
        var mask = _slots.Length - 1;
        foreach (var slot in old)
        {
            if (slot.Count == 0)
            {
                continue;
            }
            var index = Index(slot.Key, mask);
            while (_slots[index].Count != 0)
            {
                index = (index + GroupSize) & mask;
            }
            _slots[index] = slot;
        }
    }
}
