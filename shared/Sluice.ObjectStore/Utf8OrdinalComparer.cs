using System.Text;

namespace Sluice.ObjectStore;

/// <summary>
/// Orders strings by their UTF-8 bytes, the order S3 lists keys in. It differs from
/// <see cref="StringComparer.Ordinal"/> (UTF-16 code units) only for characters above U+FFFF
/// against U+E000..U+FFFF, which is enough to make the local store list in a different order than S3.
/// </summary>
internal sealed class Utf8OrdinalComparer : IComparer<string>
{
    public static readonly Utf8OrdinalComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        int i = 0;
        int j = 0;
        while (i < x.Length && j < y.Length)
        {
            // Comparing code points compares UTF-8 bytes: UTF-8 preserves code point order.
            Rune.DecodeFromUtf16(x.AsSpan(i), out Rune left, out int leftLength);
            Rune.DecodeFromUtf16(y.AsSpan(j), out Rune right, out int rightLength);
            if (left.Value != right.Value)
            {
                return left.Value.CompareTo(right.Value);
            }

            i += leftLength;
            j += rightLength;
        }

        return (x.Length - i).CompareTo(y.Length - j);
    }
}
