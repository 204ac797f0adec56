using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Sluice.DataQuality.Metrics;

/// <summary>
/// Counts occurrences of 64-bit integers, the usual shape of id columns, in two parts:
/// <list type="bullet">
/// <item>a dense window: one bit per integer of a range, set when the integer occurred. Ids are mostly
/// dense, so a million ids cost 128 KB of bits (cache-resident) instead of a 32 MB hash table. The window
/// only grows while it stays dense (at most 32 bits per distinct value, or 1 Mbit), and at least doubles
/// each time it grows, so sparse or hostile keys cannot make it large or slow;</item>
/// <item>a hash table of exact counts for integers outside the window, and for integers inside it that
/// occurred more than once (no entry there means "once").</item>
/// </list>
/// Counts merge exactly, so parallel workers can count separately and combine at the end.
/// </summary>
internal sealed class IntegerFrequencyTable
{
    private const long MinimumWindowBits = 1 << 20;
    private const long BitsPerDistinctValue = 32;
    // Keys near the ends of the long range stay in the hash table, so window arithmetic never overflows.
    private const long WindowKeyLimit = 1L << 62;

    private readonly HashedCounts _counts = new();
    private readonly bool _useDenseWindow;
    private ulong[] _window = [];
    private long _windowStart;
    private long _outsideKeys;

    /// <param name="useDenseWindow">False for keys that are not ids (e.g. packed short strings): all go to the hash table.</param>
    public IntegerFrequencyTable(bool useDenseWindow = true) => _useDenseWindow = useDenseWindow;

    public long DistinctCount { get; private set; }

    private long WindowEnd => _windowStart + _window.Length * 64L;

    public void Add(long key) => Add(key, 1);

    /// <summary>Number of integers seen exactly once.</summary>
    public long CountOccurringOnce() => DistinctCount - _counts.CountAtLeastTwo();

    /// <summary>Adds how many integers occurred how often.</summary>
    public void AddCountsTo(CountHistogram histogram)
    {
        var repeated = 0L;
        foreach (var (_, count) in _counts.Entries())
        {
            if (count >= 2)
            {
                histogram.Add(count);
                repeated++;
            }
        }
        histogram.Add(1, DistinctCount - repeated);
    }

    /// <summary>Adds every occurrence <paramref name="other"/> counted.</summary>
    public void MergeFrom(IntegerFrequencyTable other)
    {
        if (other._window.Length > 0 && CoversOrCanCover(other._windowStart, other.WindowEnd, other.DistinctCount))
        {
            MergeWindow(other);
        }
        else
        {
            other.ForEachWindowValue((key, count) => Add(key, count));
        }
        foreach (var (key, count) in other._counts.Entries())
        {
            if (!other.InWindow(key))
            {
                Add(key, count);
            }
        }
    }

    private void Add(long key, long occurrences)
    {
        if (InWindow(key) || TryExtendWindow(key, key + 1, incomingDistinct: 1))
        {
            var offset = (ulong)(key - _windowStart);
            ref var word = ref _window[offset >> 6];
            var bit = 1UL << (int)offset;
            if ((word & bit) == 0)
            {
                word |= bit;
                DistinctCount++;
                if (occurrences > 1)
                {
                    _counts.Add(key, occurrences, valueIfNew: 0);
                }
                return;
            }
            // Seen before: no entry means it occurred once so far.
            _counts.Add(key, occurrences, valueIfNew: 1);
            return;
        }
        if (_counts.Add(key, occurrences, valueIfNew: 0))
        {
            DistinctCount++;
            _outsideKeys++;
        }
    }

    private bool InWindow(long key) => (ulong)(key - _windowStart) < (ulong)_window.Length * 64;

    private bool CoversOrCanCover(long start, long end, long incomingDistinct) =>
        (start >= _windowStart && end <= WindowEnd && _window.Length > 0) || TryExtendWindow(start, end, incomingDistinct);

    /// <summary>Grows the window to hold [start, end) if it stays dense enough; moves counted keys it now covers into it.</summary>
    private bool TryExtendWindow(long start, long end, long incomingDistinct)
    {
        if (!_useDenseWindow || start < -WindowKeyLimit || end > WindowKeyLimit)
        {
            return false;
        }
        var alignedStart = start & ~63L;
        var alignedEnd = (end + 63) & ~63L;
        var limitBits = Math.Max(MinimumWindowBits, BitsPerDistinctValue * (DistinctCount + incomingDistinct));
        if (_window.Length == 0)
        {
            var bits = Math.Max(alignedEnd - alignedStart, 4096);
            if (bits > limitBits)
            {
                return false;
            }
            _windowStart = alignedStart;
            _window = new ulong[bits / 64];
            MoveCoveredKeysIntoWindow(long.MinValue, long.MinValue);
            return true;
        }

        var oldStart = _windowStart;
        var oldEnd = WindowEnd;
        var neededStart = Math.Min(alignedStart, oldStart);
        var neededEnd = Math.Max(alignedEnd, oldEnd);
        // At least double, so a run of small extensions cannot copy the window over and over.
        var newBits = Math.Max(neededEnd - neededStart, 2 * (oldEnd - oldStart));
        if (newBits > limitBits)
        {
            return false;
        }
        var newStart = neededStart < oldStart ? neededEnd - newBits : oldStart;
        if (newStart < -WindowKeyLimit || newStart + newBits > WindowKeyLimit)
        {
            return false;
        }
        var window = new ulong[newBits / 64];
        _window.CopyTo(window, (int)((oldStart - newStart) / 64));
        _window = window;
        _windowStart = newStart;
        MoveCoveredKeysIntoWindow(oldStart, oldEnd);
        return true;
    }

    /// <summary>Keys counted in the table outside [oldStart, oldEnd) that the window now covers get their bit.</summary>
    private void MoveCoveredKeysIntoWindow(long oldStart, long oldEnd)
    {
        if (_outsideKeys == 0)
        {
            return;
        }
        foreach (var (key, _) in _counts.Entries())
        {
            var wasInside = key >= oldStart && key < oldEnd;
            if (!wasInside && InWindow(key))
            {
                var offset = (ulong)(key - _windowStart);
                _window[offset >> 6] |= 1UL << (int)offset;
                _outsideKeys--;
            }
        }
    }

    /// <summary>Word-wise union of <paramref name="other"/>'s window, which this window covers.</summary>
    private void MergeWindow(IntegerFrequencyTable other)
    {
        var wordOffset = (int)((other._windowStart - _windowStart) / 64);
        var otherHasRepeats = other._counts.Count > 0;
        for (var i = 0; i < other._window.Length; i++)
        {
            var incoming = other._window[i];
            if (incoming == 0)
            {
                continue;
            }
            ref var word = ref _window[wordOffset + i];
            var both = word & incoming;
            var fresh = incoming & ~word;
            word |= incoming;
            DistinctCount += BitOperations.PopCount(fresh);
            var baseKey = other._windowStart + i * 64L;
            while (both != 0)
            {
                var key = baseKey + BitOperations.TrailingZeroCount(both);
                _counts.Add(key, other.CountInWindow(key), valueIfNew: 1);
                both &= both - 1;
            }
            while (otherHasRepeats && fresh != 0)
            {
                var key = baseKey + BitOperations.TrailingZeroCount(fresh);
                var count = other.CountInWindow(key);
                if (count > 1)
                {
                    _counts.Add(key, count, valueIfNew: 0);
                }
                fresh &= fresh - 1;
            }
        }
    }

    private long CountInWindow(long key) => _counts.TryGet(key, out var count) ? count : 1;

    private void ForEachWindowValue(Action<long, long> action)
    {
        for (var i = 0; i < _window.Length; i++)
        {
            var word = _window[i];
            while (word != 0)
            {
                var key = _windowStart + i * 64L + BitOperations.TrailingZeroCount(word);
                action(key, CountInWindow(key));
                word &= word - 1;
            }
        }
    }

    /// <summary>
    /// Flat (key, count) pairs with linear probing. The bucket keeps the low 4 bits of the key and mixes the
    /// rest with a seeded hash: runs of 16 consecutive keys land in adjacent slots, while keys chosen to
    /// collide cannot be aimed at the table without knowing the seed. Probing steps past a whole group
    /// (17 slots: odd, so the probe visits every slot even when all keys share their low 4 bits), so a
    /// block that lands on an occupied group moves on nearly intact.
    /// </summary>
    private sealed class HashedCounts
    {
        private const int ProbeStep = 17;

        private struct Slot
        {
            public long Key;
            public long Count; // 0 marks an empty slot
        }

        private readonly ulong _seed = BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(8));
        private Slot[] _slots = new Slot[64];

        public int Count { get; private set; }

        /// <summary>Adds <paramref name="occurrences"/> to the key's count (starting from <paramref name="valueIfNew"/>); true if the key was new.</summary>
        public bool Add(long key, long occurrences, long valueIfNew)
        {
            var mask = _slots.Length - 1;
            var index = Index(key, mask);
            while (true)
            {
                ref var slot = ref _slots[index];
                if (slot.Count == 0)
                {
                    slot.Key = key;
                    slot.Count = valueIfNew + occurrences;
                    if (++Count * 2 > _slots.Length)
                    {
                        Grow();
                    }
                    return true;
                }
                if (slot.Key == key)
                {
                    slot.Count += occurrences;
                    return false;
                }
                index = (index + ProbeStep) & mask;
            }
        }

        public bool TryGet(long key, out long count)
        {
            var mask = _slots.Length - 1;
            for (var index = Index(key, mask); _slots[index].Count != 0; index = (index + ProbeStep) & mask)
            {
                if (_slots[index].Key == key)
                {
                    count = _slots[index].Count;
                    return true;
                }
            }
            count = 0;
            return false;
        }

        public long CountAtLeastTwo()
        {
            long repeated = 0;
            foreach (var slot in _slots)
            {
                if (slot.Count >= 2)
                {
                    repeated++;
                }
            }
            return repeated;
        }

        public IEnumerable<(long Key, long Count)> Entries()
        {
            // Snapshot: callers may add to this table while enumerating (they only touch other keys' bits).
            var slots = _slots;
            foreach (var slot in slots)
            {
                if (slot.Count != 0)
                {
                    yield return (slot.Key, slot.Count);
                }
            }
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
                    index = (index + ProbeStep) & mask;
                }
                _slots[index] = slot;
            }
        }
    }
}
