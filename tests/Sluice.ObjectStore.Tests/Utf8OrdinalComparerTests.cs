using System.Text;

namespace Sluice.ObjectStore.Tests;

public sealed class Utf8OrdinalComparerTests
{
    [Theory]
    [InlineData("a", "b")]
    [InlineData("a", "ab")]
    [InlineData("a-c", "a/b")]
    [InlineData("a/b", "a0")]
    [InlineData("\uFF61", "\U0001D11E")]
    [InlineData("z\uE000", "z\U00010000")]
    public void Compare_Pairs_OrdersAsUtf8Bytes(string smaller, string larger)
    {
        Assert.True(Utf8OrdinalComparer.Instance.Compare(smaller, larger) < 0);
        Assert.True(Utf8OrdinalComparer.Instance.Compare(larger, smaller) > 0);
        Assert.True(Utf8Compare(smaller, larger) < 0, "The expectation itself must hold for UTF-8 bytes.");
    }

    [Fact]
    public void Compare_EqualStrings_ReturnsZero()
    {
        Assert.Equal(0, Utf8OrdinalComparer.Instance.Compare("raw/\U0001D11E", "raw/\U0001D11E"));
    }

    [Fact]
    public void Sort_MixedKeys_MatchesSortingByUtf8Bytes()
    {
        string[] keys = ["b", "\U0001F600", "\uFFFD", "a/b", "a-b", "A", "é", "\uE000", "a", "ab", "a0"];

        string[] sorted = keys.Order(Utf8OrdinalComparer.Instance).ToArray();

        Assert.Equal(keys.OrderBy(k => k, Comparer<string>.Create(Utf8Compare)).ToArray(), sorted);
    }

    private static int Utf8Compare(string x, string y) =>
        Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y));
}
