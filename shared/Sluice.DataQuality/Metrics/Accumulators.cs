using System.Buffers;
using System.Diagnostics;
using System.Numerics;
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

    /// <summary>
    /// Adds what <paramref name="other"/> (the same metric, registered by the same rules on a parallel
    /// worker's plan) accumulated over other rows. Every merge is exact, so the result does not depend on
    /// how the rows were split.
    /// </summary>
    public abstract void MergeFrom(ValueConsumer other);
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

    /// <summary>Adds a parallel worker's slot for the same column; its consumers were registered in the same order.</summary>
    public void MergeFrom(ColumnSlot other)
    {
        if (other._consumers.Length != _consumers.Length)
        {
            throw new InvalidOperationException($"Column {Name}: parallel plans registered different metrics.");
        }
        Present |= other.Present;
        NonNullCount += other.NonNullCount;
        for (var i = 0; i < _consumers.Length; i++)
        {
            _consumers[i].MergeFrom(other._consumers[i]);
        }
    }
}

/// <summary>
/// Count, sum, mean and population standard deviation of the JSON numbers of a column. Sum and sum of squares
/// are kept exactly (<see cref="ExactSum"/>), so each result is rounded once and does not depend on row order
/// or on how a parallel pass split the rows.
/// </summary>
internal sealed class NumericStats : ValueConsumer
{
    private readonly ExactSum _sum = ExactSum.ForValues();
    private readonly ExactSum _sumOfSquares = ExactSum.ForSquares();

    public long Count { get; private set; }
    public long NonNumericCount { get; private set; }

    /// <summary>Set while planning when a StandardDeviation rule reads this column; only then are squares summed.</summary>
    public bool NeedsSquares { get; set; }

    public double Sum => ExactSum.ToDouble(_sum.ToBigInteger(), BigInteger.One, ExactSum.ValueScale);

    public double Mean => Count == 0 ? 0 : ExactSum.ToDouble(_sum.ToBigInteger(), Count, ExactSum.ValueScale);

    /// <summary>Population standard deviation, as Deequ's <c>stddev_pop</c> (the reference's null example gives 16.33 for 0, 20, 40).</summary>
    public double StandardDeviation
    {
        get
        {
            if (Count == 0)
            {
                return double.NaN;
            }
            Debug.Assert(NeedsSquares);
            // Variance = (n * Σx² - (Σx)²) / n², evaluated on exact integers: no cancellation, one rounding.
            var sum = _sum.ToBigInteger();
            var numerator = Count * _sumOfSquares.ToBigInteger() - sum * sum;
            return Math.Sqrt(ExactSum.ToDouble(numerator, (BigInteger)Count * Count, ExactSum.SquareScale));
        }
    }

    public override void Accept(ref ColumnCell cell)
    {
        if (!cell.IsJsonNumber(out var value))
        {
            NonNumericCount++;
            return;
        }
        Count++;
        _sum.Add(value);
        if (NeedsSquares)
        {
            _sumOfSquares.AddSquare(value);
        }
    }

    public override void MergeFrom(ValueConsumer other)
    {
        var stats = (NumericStats)other;
        Count += stats.Count;
        NonNumericCount += stats.NonNumericCount;
        _sum.Add(stats._sum);
        _sumOfSquares.Add(stats._sumOfSquares);
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
    // Short strings (codes, statuses, countries) packed into one integer each: a cheaper key than bytes.
    private readonly IntegerFrequencyTable _shortStrings = new(useDenseWindow: false);
    private readonly ValueFrequencyTable _others = new();
    private byte[] _scratch = new byte[256];

    public long DistinctCount => _integers.DistinctCount + _shortStrings.DistinctCount + _others.DistinctCount;

    public long CountOccurringOnce() => _integers.CountOccurringOnce() + _shortStrings.CountOccurringOnce() + _others.CountOccurringOnce();

    public double Entropy(long total)
    {
        var histogram = new CountHistogram();
        _integers.AddCountsTo(histogram);
        _shortStrings.AddCountsTo(histogram);
        _others.AddCountsTo(histogram);
        return histogram.Entropy(total);
    }

    public override void MergeFrom(ValueConsumer other)
    {
        var counter = (FrequencyCounter)other;
        _integers.MergeFrom(counter._integers);
        _shortStrings.MergeFrom(counter._shortStrings);
        _others.MergeFrom(counter._others);
    }

    public override void Accept(ref ColumnCell cell)
    {
        if (ValueKey.TryGetInteger(ref cell, out var integer))
        {
            _integers.Add(integer);
            return;
        }
        // A given value always lands in the same table, so the three tables never count one value twice.
        if (cell.Kind == CellKind.String && ValueKey.TryPackShortString(cell.Utf8, out var packed))
        {
            _shortStrings.Add(packed);
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
    private readonly CellPredicate _predicate = predicate;

    public string? Error => _predicate.Error;

    public long Passed { get; private set; }

    public override void Accept(ref ColumnCell cell)
    {
        if (_predicate.Test(ref cell))
        {
            Passed++;
        }
    }

    public override void AcceptNull()
    {
        if (_predicate.TestNull())
        {
            Passed++;
        }
    }

    public override void MergeFrom(ValueConsumer other)
    {
        var counter = (ComplianceCounter)other;
        Passed += counter.Passed;
        _predicate.MergeErrorFrom(counter._predicate);
    }
}

/// <summary>Shortest and longest value in characters; null counts as length 0 (ColumnLength reference, Null behavior).</summary>
internal sealed class LengthStats : ValueConsumer
{
    public int Minimum { get; private set; } = int.MaxValue;
    public int Maximum { get; private set; } = int.MinValue;

    public override void Accept(ref ColumnCell cell) => Observe(cell.CharacterLength());

    public override void AcceptNull() => Observe(0);

    public override void MergeFrom(ValueConsumer other)
    {
        var lengths = (LengthStats)other;
        Minimum = Math.Min(Minimum, lengths.Minimum);
        Maximum = Math.Max(Maximum, lengths.Maximum);
    }

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

    public double Entropy(long total)
    {
        var histogram = new CountHistogram();
        Table.AddCountsTo(histogram);
        return histogram.Entropy(total);
    }

    /// <summary>Adds a parallel worker's counter over the same columns.</summary>
    public void MergeFrom(CompositeKeyCounter other)
    {
        Table.MergeFrom(other.Table);
        Rows += other.Rows;
    }

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

        // The key is assembled and counted by the owner at the end of each row; the owner merges.
        public override void MergeFrom(ValueConsumer other)
        {
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

    /// <summary>Keeps the error a parallel worker's copy of this predicate ran into, if this one had none.</summary>
    public void MergeErrorFrom(CellPredicate other) => Error ??= other.Error;
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
