using System.Globalization;
using System.Numerics;
using System.Text;
using Sluice.DataQuality.Metrics;
using Sluice.DataQuality.Values;

namespace Sluice.DataQuality.Tests;

/// <summary>The accumulators that make parallel evaluation exact: exact sums, integer counting with merges, fast timestamps.</summary>
public class ExactMetricsTests
{
    [Fact]
    public async Task Sum_ValuesThatCancel_IsExact()
    {
        var result = await Dq.EvaluateRuleAsync("Sum \"x\" = 1", """{"x":1e16}""", """{"x":1}""", """{"x":-1e16}""");

        // Naive left-to-right addition gives 0 here (1e16 + 1 rounds back to 1e16).
        Assert.Equal(1.0, result.Metrics["Column.x.Sum"]);
        Assert.Equal(Evaluation.RuleOutcome.Passed, result.Outcome);
    }

    [Fact]
    public async Task StandardDeviation_LargeOffset_HasNoCancellation()
    {
        var scorecard = await Dq.EvaluateAsync("""Rules = [ StandardDeviation "x" > 0, Mean "x" > 0 ]""",
            ["""{"x":1000000000}""", """{"x":1000000001}""", """{"x":1000000002}"""]);

        Assert.Equal(Math.Sqrt(2.0 / 3.0), scorecard.Rules[0].Metrics["Column.x.StandardDeviation"]);
        Assert.Equal(1000000001.0, scorecard.Rules[1].Metrics["Column.x.Mean"]);
    }

    [Fact]
    public void ExactSum_RandomValuesInAnyOrderAndSplit_EqualsBigIntegerReference()
    {
        var random = new Random(21);
        var values = Enumerable.Range(0, 5000).Select(_ => RandomDouble(random)).ToArray();
        var reference = values.Aggregate(BigInteger.Zero, (sum, v) => sum + ScaledToMinimum(v));

        var whole = ExactSum.ForValues();
        foreach (var v in values)
        {
            whole.Add(v);
        }
        var left = ExactSum.ForValues();
        var right = ExactSum.ForValues();
        foreach (var v in values.Reverse())
        {
            (random.Next(2) == 0 ? left : right).Add(v);
        }
        left.Add(right);

        Assert.Equal(reference, whole.ToBigInteger());
        Assert.Equal(reference, left.ToBigInteger());
    }

    [Fact]
    public void ExactSum_Squares_EqualBigIntegerReference()
    {
        var random = new Random(8);
        var values = Enumerable.Range(0, 2000).Select(_ => RandomDouble(random)).Append(double.Epsilon).Append(-double.MaxValue).ToArray();
        var reference = values.Aggregate(BigInteger.Zero, (sum, v) => sum + ScaledToMinimum(v) * ScaledToMinimum(v));

        var squares = ExactSum.ForSquares();
        foreach (var v in values)
        {
            squares.AddSquare(v);
        }

        Assert.Equal(reference, squares.ToBigInteger());
    }

    [Theory]
    [InlineData(1, 3, 0)]
    [InlineData(2, 3, 0)]
    [InlineData(1, 10, 0)]
    [InlineData(5, 1, -1074)]
    [InlineData(-7, 2, 3)]
    public void ToDouble_SmallQuotients_AreCorrectlyRounded(long numerator, long denominator, int scale)
    {
        var expected = Math.ScaleB(numerator / (double)denominator, scale);

        Assert.Equal(expected, ExactSum.ToDouble(numerator, denominator, scale));
    }

    [Fact]
    public void ToDouble_Ties_RoundToEven()
    {
        // 2^53 + 1 and 2^53 + 3 lie exactly between two doubles.
        var twoTo53 = BigInteger.One << 53;

        Assert.Equal(9007199254740992.0, ExactSum.ToDouble(twoTo53 + 1, 1, 0));
        Assert.Equal(9007199254740996.0, ExactSum.ToDouble(twoTo53 + 3, 1, 0));
    }

    public static TheoryData<string, long> KeySets => new()
    {
        { "dense ascending", 0 },
        { "stride 16", 16 },
        { "random 64-bit", -1 },
        { "negative and mixed", -2 },
    };

    [Theory]
    [MemberData(nameof(KeySets))]
    public void IntegerFrequencyTable_AnyKeysAndSplit_MatchesDictionaryReference(string name, long shape)
    {
        var random = new Random(name.Length);
        var keys = Enumerable.Range(0, 20000).Select(i => shape switch
        {
            0 => (long)i,
            -1 => random.NextInt64(long.MinValue, long.MaxValue),
            -2 => i % 3 == 0 ? -i : i % 3 == 1 ? i * 1_000_003L : random.Next(-50, 50),
            _ => i * shape,
        }).ToList();
        keys.AddRange(keys.Where((_, i) => i % 7 == 0).ToList()); // repeats
        var reference = keys.GroupBy(k => k).ToDictionary(g => g.Key, g => (long)g.Count());

        var whole = new IntegerFrequencyTable();
        var left = new IntegerFrequencyTable();
        var right = new IntegerFrequencyTable();
        foreach (var key in keys)
        {
            whole.Add(key);
            (random.Next(3) == 0 ? left : right).Add(key);
        }
        left.MergeFrom(right);

        foreach (var table in new[] { whole, left })
        {
            Assert.Equal(reference.Count, table.DistinctCount);
            Assert.Equal(reference.Values.Count(c => c == 1), table.CountOccurringOnce());
            var histogram = new CountHistogram();
            table.AddCountsTo(histogram);
            var expected = new CountHistogram();
            foreach (var count in reference.Values)
            {
                expected.Add(count);
            }
            Assert.Equal(expected.Entropy(keys.Count), histogram.Entropy(keys.Count));
        }
    }

    [Fact]
    public async Task IsUnique_IdsThatAreMultiplesOf16_Finishes()
    {
        // Keys sharing their low 4 bits once filled one probe lane of the hash table and looped forever.
        var rows = Enumerable.Range(1, 5000).Select(i => $$"""{"id":{{i * 16L * 1_000_003}}}""").ToArray();

        var evaluation = Dq.EvaluateRuleAsync("IsUnique \"id\"", rows);
        var finished = await Task.WhenAny(evaluation, Task.Delay(TimeSpan.FromSeconds(30)));

        Assert.Same(evaluation, finished);
        Assert.Equal(Evaluation.RuleOutcome.Passed, (await evaluation).Outcome);
    }

    [Fact]
    public void TryParseUtcSeconds_RandomAndEdgeTimestamps_AgreeWithGeneralParser()
    {
        var random = new Random(2);
        var samples = Enumerable.Range(0, 2000)
            .Select(_ => new DateTime(1, 1, 1).AddSeconds(random.NextInt64(0, (long)(DateTime.MaxValue - DateTime.MinValue).TotalSeconds)))
            .Select(d => d.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + (random.Next(2) == 0 ? "Z" : ""))
            .Concat(["2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31 23:59:59", "1970-01-01T00:00:00Z",
                "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z", "2024-01-01T00:00:00+01:00"]);

        foreach (var sample in samples)
        {
            var bytes = Encoding.UTF8.GetBytes(sample);
            var general = TimestampParser.TryParse(bytes, out var value);
            if (TimestampParser.TryParseUtcSeconds(bytes, out var seconds))
            {
                Assert.True(general, sample);
                Assert.Equal(value.ToUnixTimeSeconds(), seconds);
            }
            else
            {
                Assert.True(!general || sample.Length > 20, sample);
            }
        }
    }

    [Theory]
    [InlineData("<= 24 hours")]
    [InlineData("> 24 hours")]
    [InlineData("between 23 hours and 24 hours")]
    [InlineData("= 24 hours")]
    public async Task DataFreshness_AgesAroundTheBound_AreJudgedOnTheRoundedAge(string expression)
    {
        // Ages from 24 h - 100 s to 24 h + 100 s, one second apart: the rounding to 0.01 h decides near the bound.
        var ages = Enumerable.Range(-100, 201).Select(delta => 24 * 3600L + delta).ToList();
        var rows = ages.Select(age => $$"""{"t":"{{Dq.Now.AddSeconds(-age).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}}"}""").ToArray();
        var rule = (Model.SimpleRule)Parsing.DqdlParser.Parse($"Rules = [ DataFreshness \"t\" {expression} ]").Rules[0];
        var bounds = rule.Condition!.Operands.Select(o => o.Duration.TotalHours).ToArray();
        bool Expected(double hours) => expression[0] switch
        {
            '<' => hours <= bounds[0],
            '>' => hours > bounds[0],
            '=' => hours == bounds[0],
            _ => hours > bounds[0] && hours < bounds[1],
        };
        var expected = ages.Count(age => Expected(Math.Round(age / 3600.0, 2, MidpointRounding.AwayFromZero)));

        var result = await Dq.EvaluateRuleAsync($"DataFreshness \"t\" {expression}", rows);

        Assert.InRange(expected, 1, ages.Count - 1);
        Assert.Equal(expected / (double)ages.Count, result.Metrics["Column.t.DataFreshness.Compliance"]);
    }

    [Fact]
    public void FrequencyCounter_ShortAndLongStringsNumbersAndSplits_MatchesReference()
    {
        // Strings of 0..10 bytes over an alphabet with control bytes 1..7 (which the 8-byte packing must not confuse
        // with a length), numbers, and booleans; counted whole and as two merged halves.
        var random = new Random(17);
        var alphabet = "ab\u0001\u0007\u0008é";
        var values = Enumerable.Range(0, 6000).Select(_ => random.Next(10) switch
        {
            0 => (CellKind.Number, random.Next(50).ToString(CultureInfo.InvariantCulture)),
            1 => (CellKind.True, "true"),
            _ => (CellKind.String, new string(Enumerable.Range(0, random.Next(0, 9)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray())),
        }).ToList();
        // Pairs a naive packing (length in the top byte) would confuse: 7 bytes vs 8 bytes ending in 7, and so on.
        values.AddRange([(CellKind.String, "abcdefg"), (CellKind.String, "abcdefg\u0007"), (CellKind.String, "abcdef"),
            (CellKind.String, "abcdef\u0000\u0006"), (CellKind.String, "abcdefgh"), (CellKind.String, "abcdefgh")]);
        var reference = values.GroupBy(v => v).ToDictionary(g => g.Key, g => (long)g.Count());

        var whole = new FrequencyCounter();
        var left = new FrequencyCounter();
        var right = new FrequencyCounter();
        foreach (var (kind, text) in values)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var cell = new ColumnCell(kind, bytes);
            whole.Accept(ref cell);
            var half = new ColumnCell(kind, bytes);
            (random.Next(2) == 0 ? left : right).Accept(ref half);
        }
        left.MergeFrom(right);

        foreach (var counter in new[] { whole, left })
        {
            Assert.Equal(reference.Count, counter.DistinctCount);
            Assert.Equal(reference.Values.Count(c => c == 1), counter.CountOccurringOnce());
        }
        Assert.Equal(whole.Entropy(values.Count), left.Entropy(values.Count));
    }

    private static double RandomDouble(Random random) => random.Next(4) switch
    {
        0 => random.NextDouble() * Math.Pow(10, random.Next(-300, 300)) * (random.Next(2) == 0 ? 1 : -1),
        1 => random.Next(-1000, 1000) / 100.0,
        2 => BitConverter.Int64BitsToDouble(random.NextInt64(0, 0x000F_FFFF_FFFF_FFFF)), // subnormals
        _ => Math.ScaleB(random.NextDouble(), random.Next(-1074, 1023)) * (random.Next(2) == 0 ? 1 : -1),
    };

    /// <summary>The value as an integer multiple of 2^-1074 (exact for every finite double).</summary>
    private static BigInteger ScaledToMinimum(double value)
    {
        var bits = BitConverter.DoubleToInt64Bits(value);
        var exponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = bits & 0xF_FFFF_FFFF_FFFF;
        BigInteger magnitude = exponent == 0 ? mantissa : (mantissa | (1L << 52)) * BigInteger.Pow(2, exponent - 1);
        return bits < 0 ? -magnitude : magnitude;
    }
}
