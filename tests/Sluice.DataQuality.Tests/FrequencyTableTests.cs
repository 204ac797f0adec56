using Sluice.DataQuality.Metrics;

namespace Sluice.DataQuality.Tests;

public class FrequencyTableTests
{
    [Fact]
    public void IntegerTable_SequentialAndStridedKeysThroughGrowth_CountsExactly()
    {
        var table = new IntegerFrequencyTable();
        // Sequential ids, then keys sharing their low bits (multiples of 2^20), each added twice.
        for (long id = 0; id < 50_000; id++)
        {
            table.Add(id);
        }
        for (long k = 1; k <= 5_000; k++)
        {
            table.Add(k << 20);
            table.Add(k << 20);
        }
        table.Add(-1);

        Assert.Equal(55_001, table.DistinctCount);
        Assert.Equal(50_001, table.CountOccurringOnce());
    }

    [Fact]
    public void ByteTable_KeysDifferingInOneByte_AreDistinct()
    {
        var table = new ValueFrequencyTable();
        for (var i = 0; i < 10_000; i++)
        {
            table.Add(System.Text.Encoding.UTF8.GetBytes($"user{i}@example.com"));
        }
        table.Add("user1@example.com"u8);

        Assert.Equal(10_000, table.DistinctCount);
        Assert.Equal(9_999, table.CountOccurringOnce());
        Assert.True(table.Contains("user9999@example.com"u8));
        Assert.False(table.Contains("user10000@example.com"u8));
    }
}
