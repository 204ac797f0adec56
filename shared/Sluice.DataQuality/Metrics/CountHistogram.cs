namespace Sluice.DataQuality.Metrics;

/// <summary>
/// How many distinct values occur k times, for each k. Entropy is summed from it in ascending k, so the
/// result depends only on the value distribution, not on hash-table order (tables are seeded randomly) or
/// on how a parallel pass split the rows.
/// </summary>
internal sealed class CountHistogram
{
    private readonly Dictionary<long, long> _valuesByCount = [];
    // Most values of a high-cardinality column occur once: keep that bucket out of the dictionary.
    private long _valuesOccurringOnce;

    /// <summary>Records <paramref name="values"/> distinct values that each occurred <paramref name="count"/> times.</summary>
    public void Add(long count, long values = 1)
    {
        if (count == 1)
        {
            _valuesOccurringOnce += values;
        }
        else if (values > 0)
        {
            _valuesByCount[count] = _valuesByCount.GetValueOrDefault(count) + values;
        }
    }

    /// <summary>Shannon entropy, -Σ p ln p (natural logarithm), with p = count / <paramref name="total"/>.</summary>
    public double Entropy(long total)
    {
        var entropy = 0.0;
        if (_valuesOccurringOnce > 0)
        {
            _valuesByCount[1] = _valuesOccurringOnce;
        }
        foreach (var (count, values) in _valuesByCount.OrderBy(pair => pair.Key))
        {
            var p = count / (double)total;
            entropy -= values * (p * Math.Log(p));
        }
        return entropy;
    }
}
