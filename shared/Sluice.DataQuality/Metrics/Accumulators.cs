using System.Buffers;
using Sluice.DataQuality.Values;

namespace Sluice.DataQuality.Metrics;

/// <summary>Receives the values of one column, one call per row.</summary>
internal abstract class ValueConsumer
{
    /// <summary>A non-null value.</summary>
    public abstract void Accept(ref ColumnCell cell);

    /// <summary>A JSON null, or a row without the key (Spark reads both as null).</summary>
    public virtual void AcceptNull()
    {
    }
}

/// <summary>Called once after every row, after all columns of the row were delivered.</summary>
internal interface IRowEndHook
{
    void EndRow();
}

/// <summary>
/// One column the ruleset needs: whether it occurs at all, how many rows hold a non-null value, and the
/// consumers (metric accumulators) that see its values. Accumulators are shared: two rules needing the
/// same metric of the same column register under the same key and get the same instance.
/// </summary>
internal sealed class ColumnSlot(string name)
{
    private readonly List<ValueConsumer> _consumerList = [];
    private readonly Dictionary<string, ValueConsumer> _byKey = new(StringComparer.Ordinal);
    private ValueConsumer[] _consumers = [];

    public string Name { get; } = name;

    public int ConsumerCount => _consumers.Length;

    /// <summary>The key occurred in at least one row (even with a null value).</summary>
    public bool Present { get; set; }

    public long NonNullCount { get; set; }

    /// <summary>Number of the last row that delivered this column; guards against duplicate keys.</summary>
    public long SeenInRow { get; set; }

    public T GetOrAdd<T>(string key, Func<T> create) where T : ValueConsumer
    {
        if (!_byKey.TryGetValue(key, out var consumer))
        {
            consumer = create();
            _byKey.Add(key, consumer);
            _consumerList.Add(consumer);
            _consumers = [.. _consumerList];
        }
        return (T)consumer;
    }

    public void Accept(ref ColumnCell cell)
    {
        NonNullCount++;
        foreach (var consumer in _consumers)
        {
            consumer.Accept(ref cell);
        }
    }

    public void AcceptNull()
    {
        foreach (var consumer in _consumers)
        {
            consumer.AcceptNull();
        }
    }
}

/// <summary>Count, sum, mean, population variance (Welford) and extremes of the JSON numbers of a column.</summary>
internal sealed class NumericStats : ValueConsumer
{
    private double _mean;
    private double _m2;

    public long Count { get; private set; }
    public long NonNumericCount { get; private set; }
    public double Sum { get; private set; }
    public double Mean => _mean;

    /// <summary>Population standard deviation, as Deequ's <c>stddev_pop</c> (the reference's null example gives 16.33 for 0, 20, 40).</summary>
    public double StandardDeviation => Count == 0 ? double.NaN : Math.Sqrt(_m2 / Count);

    public override void Accept(ref ColumnCell cell)
    {
        if (!cell.IsJsonNumber(out var value))
        {
            NonNumericCount++;
            return;
        }
        Count++;
        Sum += value;
        var delta = value - _mean;
        _mean += delta / Count;
        _m2 += delta * (value - _mean);
    }
}

/// <summary>Distinct/unique counts and entropy over a value distribution.</summary>
internal interface IFrequencies
{
    long DistinctCount { get; }

    /// <summary>Number of values seen exactly once.</summary>
    long CountOccurringOnce();

    /// <summary>Shannon entropy (natural logarithm) over <paramref name="total"/> occurrences.</summary>
    double Entropy(long total);
}

/// <summary>
/// Frequencies of the non-null values of one column. Integral numbers go to an integer table (ids are
/// the common case and the costliest to count); everything else is counted by its encoded bytes.
/// </summary>
internal sealed class FrequencyCounter : ValueConsumer, IFrequencies
{
    private readonly IntegerFrequencyTable _integers = new();
    private readonly ValueFrequencyTable _others = new();
    private byte[] _scratch = new byte[256];

    public long DistinctCount => _integers.DistinctCount + _others.DistinctCount;

    public long CountOccurringOnce() => _integers.CountOccurringOnce() + _others.CountOccurringOnce();

    public double Entropy(long total) => _integers.EntropyTerms(total) + _others.EntropyTerms(total);

    public override void Accept(ref ColumnCell cell)
    {
        if (ValueKey.TryGetInteger(ref cell, out var integer))
        {
            _integers.Add(integer);
            return;
        }
        var needed = ValueKey.MaxLength(ref cell);
        if (needed > _scratch.Length)
        {
            _scratch = new byte[Math.Max(needed, _scratch.Length * 2)];
        }
        var length = ValueKey.Encode(ref cell, _scratch);
        _others.Add(_scratch.AsSpan(0, length));
    }
}

/// <summary>Counts the rows whose value (null included) satisfies a predicate.</summary>
internal sealed class ComplianceCounter(CellPredicate predicate) : ValueConsumer
{
    public string? Error => predicate.Error;

    public long Passed { get; private set; }

    public override void Accept(ref ColumnCell cell)
    {
        if (predicate.Test(ref cell))
        {
            Passed++;
        }
    }

    public override void AcceptNull()
    {
        if (predicate.TestNull())
        {
            Passed++;
        }
    }
}

/// <summary>Shortest and longest value in characters; null counts as length 0 (ColumnLength reference, Null behavior).</summary>
internal sealed class LengthStats : ValueConsumer
{
    public int Minimum { get; private set; } = int.MaxValue;
    public int Maximum { get; private set; } = int.MinValue;

    public override void Accept(ref ColumnCell cell) => Observe(cell.CharacterLength());

    public override void AcceptNull() => Observe(0);

    private void Observe(int length)
    {
        if (length < Minimum)
        {
            Minimum = length;
        }
        if (length > Maximum)
        {
            Maximum = length;
        }
    }
}

/// <summary>
/// Frequencies of a combination of columns (multi-column IsUnique, Uniqueness, IsPrimaryKey). Rows where
/// every column is null are skipped, as Deequ's frequency analyzers skip them.
/// </summary>
internal sealed class CompositeKeyCounter : IRowEndHook, IFrequencies
{
    private readonly byte[]?[] _parts;
    private readonly int[] _partLengths;
    private byte[] _key = new byte[256];

    public CompositeKeyCounter(IReadOnlyList<ColumnSlot> slots)
    {
        _parts = new byte[slots.Count][];
        _partLengths = new int[slots.Count];
        Array.Fill(_partLengths, -1);
        for (var i = 0; i < slots.Count; i++)
        {
            var index = i;
            slots[i].GetOrAdd($"key-part:{GetHashCode()}:{i}", () => new Part(this, index));
        }
    }

    private ValueFrequencyTable Table { get; } = new();

    public long DistinctCount => Table.DistinctCount;

    public long CountOccurringOnce() => Table.CountOccurringOnce();

    public double Entropy(long total) => Table.EntropyTerms(total);

    /// <summary>Rows with at least one non-null key column.</summary>
    public long Rows { get; private set; }

    public void EndRow()
    {
        var total = 0;
        var anyValue = false;
        foreach (var length in _partLengths)
        {
            anyValue |= length >= 0;
            total += 5 + Math.Max(length, 0);
        }
        if (anyValue)
        {
            if (total > _key.Length)
            {
                _key = new byte[Math.Max(total, _key.Length * 2)];
            }
            var offset = 0;
            for (var i = 0; i < _parts.Length; i++)
            {
                // Length-prefix each part so ("ab","c") and ("a","bc") differ; -1 marks null.
                var length = _partLengths[i];
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(_key.AsSpan(offset), length);
                offset += 4;
                if (length > 0)
                {
                    _parts[i].AsSpan(0, length).CopyTo(_key.AsSpan(offset));
                    offset += length;
                }
            }
            Table.Add(_key.AsSpan(0, offset));
            Rows++;
        }
        Array.Fill(_partLengths, -1);
    }

    private sealed class Part(CompositeKeyCounter owner, int index) : ValueConsumer
    {
        public override void Accept(ref ColumnCell cell)
        {
            var needed = ValueKey.MaxLength(ref cell);
            ref var buffer = ref owner._parts[index];
            if (buffer is null || buffer.Length < needed)
            {
                buffer = new byte[Math.Max(needed, 64)];
            }
            owner._partLengths[index] = ValueKey.Encode(ref cell, buffer);
        }
    }
}

/// <summary>A test applied to every row of a column.</summary>
internal abstract class CellPredicate
{
    /// <summary>Set when the predicate could not be evaluated for some row (e.g. a regex timed out).</summary>
    public string? Error { get; protected set; }

    public abstract bool Test(ref ColumnCell cell);

    /// <summary>The outcome for a null or missing value.</summary>
    public abstract bool TestNull();
}

/// <summary>Pools a char buffer for predicates that need UTF-16 text (regular expressions).</summary>
internal sealed class CharBuffer
{
    private char[] _chars = ArrayPool<char>.Shared.Rent(256);

    public ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8)
    {
        if (_chars.Length < utf8.Length)
        {
            ArrayPool<char>.Shared.Return(_chars);
            _chars = ArrayPool<char>.Shared.Rent(utf8.Length);
        }
        var length = System.Text.Encoding.UTF8.GetChars(utf8, _chars);
        return _chars.AsSpan(0, length);
    }
}
