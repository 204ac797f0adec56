using System.Globalization;
using System.Text;
using Sluice.DataQuality.Data;
using Sluice.DataQuality.Evaluation;
using Sluice.DataQuality.Parsing;

namespace Sluice.DataQuality.Tests;

/// <summary>
/// Parallel evaluation reads the data once and spreads line-aligned chunks over workers whose accumulators are
/// merged exactly: the scorecard must equal the sequential one bit for bit, whatever the chunking.
/// </summary>
public class ParallelEvaluationTests
{
    // Rules whose metrics a careless merge would get wrong: floating-point sums over values of very different
    // magnitude, entropy over many distinct counts, distinct and unique counts across chunks, composite keys,
    // keys first seen late (ColumnCount), extremes of lengths, a regex, and rules that fail with messages.
    private const string Ruleset = """
        Rules = [
            RowCount > 0,
            ColumnCount = 9,
            IsPrimaryKey "id",
            IsUnique "code",
            Uniqueness "code" > 0.1,
            UniqueValueRatio "code" > 0.1,
            DistinctValuesCount "code" > 3,
            Entropy "code" > 1,
            Entropy "amount" > 1,
            Sum "amount" > 0,
            Mean "amount" > 0,
            StandardDeviation "amount" > 0,
            Sum "spiky" = 0,
            StandardDeviation "spiky" > 0,
            Completeness "email" > 0.5,
            ColumnValues "email" matches "[a-z0-9.]+@[a-z]+\.[a-z]+" with threshold > 0.5,
            ColumnValues "status" in ["active", "inactive", NULL],
            ColumnLength "name" between 0 and 30,
            DataFreshness "created_at" <= 200 days,
            IsPrimaryKey "code" "id",
            Uniqueness "code" "status" > 0.01,
            ColumnExists "late"
        ]
        """;

    private static readonly DateTimeOffset Now = new(2024, 6, 30, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Deterministic rows: nulls, missing keys, escapes, non-ASCII text, repeated ids, a key only in late rows.</summary>
    private static List<string> GenerateRows(int count, int seed)
    {
        var random = new Random(seed);
        string[] names = ["Ana", "Inès", "Bo \\\"B\\\"", "Chen", "Zoë"];
        var rows = new List<string>();
        for (var i = 0; i < count; i++)
        {
            // Every 97th id repeats an earlier one, so IsPrimaryKey fails with counts spread across chunks.
            var id = i % 97 == 96 ? i / 2 : i;
            var name = names[random.Next(names.Length)];
            var email = random.Next(8) == 0 ? "null" : $"\"{name.ToLowerInvariant().Replace("\\\"", "", StringComparison.Ordinal)}.{i}@example.com\"";
            var amount = (random.Next(-100_000, 1_000_000) / 100.0).ToString("R", CultureInfo.InvariantCulture);
            // Values 20 orders of magnitude apart: a sum in any other order than the exact one loses the small ones.
            var spiky = (i % 4) switch { 0 => "1e20", 1 => "0.1", 2 => "-1e20", _ => "-0.1" };
            var status = (i % 5) switch { 0 => "null", 1 => "\"inactive\"", _ => "\"active\"" };
            var created = Now.AddHours(-random.Next(0, 24 * 250)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            var late = i > count * 3 / 4 ? ",\"late\":true" : "";
            var row = i % 13 == 0
                ? $$"""{"id":{{id}},"name":"{{name}}","amount":{{amount}},"spiky":{{spiky}},"code":"c{{random.Next(40)}}","created_at":"{{created}}"{{late}}}"""
                : $$"""{"id":{{id}},"name":"{{name}}","email":{{email}},"amount":{{amount}},"spiky":{{spiky}},"status":{{status}},"code":"c{{random.Next(40)}}","created_at":"{{created}}"{{late}}}""";
            rows.Add(row);
        }
        return rows;
    }

    private static EvaluationOptions Options(int parallelism, int bufferSize = 1 << 20) => new()
    {
        TimeProvider = new FixedTimeProvider(Now),
        MaxDegreeOfParallelism = parallelism,
        BufferSize = bufferSize,
    };

    private static MemoryStream Part(IEnumerable<string> lines, string separator = "\n") =>
        new(Encoding.UTF8.GetBytes(string.Join(separator, lines) + separator));

    private static Task<Scorecard> EvaluateAsync(IEnumerable<Stream> parts, EvaluationOptions options) =>
        RulesetEvaluator.EvaluateAsync(DqdlParser.Parse(Ruleset), DatasetSource.FromNdjson(parts), options);

    /// <summary>Outcomes, messages and every metric bit for bit (no tolerance: merging is exact).</summary>
    private static void AssertIdentical(Scorecard expected, Scorecard actual)
    {
        Assert.Equal(expected.Score, actual.Score);
        Assert.Equal(expected.RowCount, actual.RowCount);
        Assert.Equal(expected.Rules.Count, actual.Rules.Count);
        for (var i = 0; i < expected.Rules.Count; i++)
        {
            var (want, got) = (expected.Rules[i], actual.Rules[i]);
            Assert.Equal(want.Rule, got.Rule);
            Assert.Equal(want.Outcome, got.Outcome);
            Assert.Equal(want.FailureMessage, got.FailureMessage);
            Assert.Equal(want.Metrics.OrderBy(m => m.Key).Select(m => (m.Key, BitConverter.DoubleToInt64Bits(m.Value))),
                got.Metrics.OrderBy(m => m.Key).Select(m => (m.Key, BitConverter.DoubleToInt64Bits(m.Value))));
        }
    }

    [Theory]
    [InlineData(2, 1 << 20)]
    [InlineData(2, 4096)]
    [InlineData(3, 512)]
    [InlineData(4, 64)]
    public async Task EvaluateAsync_Parallel_GivesSameScorecardAsSequential(int parallelism, int bufferSize)
    {
        var rows = GenerateRows(3000, seed: 5);

        var sequential = await EvaluateAsync([Part(rows)], Options(1, bufferSize));
        var parallel = await EvaluateAsync([Part(rows)], Options(parallelism, bufferSize));

        AssertIdentical(sequential, parallel);
        // The fixture exercises both outcomes, so the comparison covers metrics and failure messages.
        Assert.Contains(parallel.Rules, r => r.Outcome == RuleOutcome.Passed);
        Assert.Contains(parallel.Rules, r => r.Outcome == RuleOutcome.Failed);
    }

    [Fact]
    public async Task EvaluateAsync_ParallelOverManyParts_GivesSameScorecardAsSequentialAndInlineRows()
    {
        var rows = GenerateRows(2500, seed: 9);
        Stream[] Parts() =>
        [
            Part(rows.Take(1000)),
            Part(rows.Skip(1000).Take(1), separator: "\r\n"),
            new MemoryStream(Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(string.Join("\n", rows.Skip(1001).Take(999)))).ToArray()),
            Part(rows.Skip(2000)),
        ];

        var inline = await RulesetEvaluator.EvaluateAsync(DqdlParser.Parse(Ruleset), Dq.Rows(rows), Options(1));
        var sequential = await EvaluateAsync(Parts(), Options(1, 256));
        var parallel = await EvaluateAsync(Parts(), Options(2, 256));

        AssertIdentical(inline, sequential);
        AssertIdentical(sequential, parallel);
        Assert.Equal(2500, parallel.RowCount);
    }

    [Fact]
    public async Task EvaluateAsync_DifferentChunkings_GiveIdenticalFloatingPointMetrics()
    {
        var rows = GenerateRows(2000, seed: 3);

        var results = new List<Scorecard>();
        foreach (var bufferSize in new[] { 64, 300, 8192 })
        {
            results.Add(await EvaluateAsync([Part(rows)], Options(3, bufferSize)));
        }
        // Reversed row order: a sum that depends on order would change; the exact one cannot.
        var reversed = await EvaluateAsync([Part(Enumerable.Reverse(rows))], Options(2, 128));

        AssertIdentical(results[0], results[1]);
        AssertIdentical(results[0], results[2]);
        var metric = "Column.spiky.Sum";
        Assert.Equal(results[0].Rules.Single(r => r.Rule == "Sum \"spiky\" = 0").Metrics[metric],
            reversed.Rules.Single(r => r.Rule == "Sum \"spiky\" = 0").Metrics[metric]);
    }

    [Fact]
    public async Task EvaluateAsync_ParallelWithLinesLongerThanTheBuffer_ReadsEveryRow()
    {
        var rows = Enumerable.Range(0, 300).Select(i => $$"""{"id":{{i}},"text":"{{new string('x', i * 7 % 500)}}"}""").ToList();

        var scorecard = await RulesetEvaluator.EvaluateAsync(DqdlParser.Parse("Rules = [ RowCount = 300, IsPrimaryKey \"id\", ColumnLength \"text\" <= 500 ]"),
            DatasetSource.FromNdjson(Part(rows)), Options(2, bufferSize: 64));

        Assert.All(scorecard.Rules, r => Assert.Equal(RuleOutcome.Passed, r.Outcome));
    }

    [Fact]
    public async Task EvaluateAsync_ParallelInvalidLines_ReportsTheFirstInFileOrderWithItsLineNumber()
    {
        var first = GenerateRows(700, seed: 1);
        var second = GenerateRows(900, seed: 2);
        second[412] = "{\"id\":";          // the first bad line: part 2, line 413
        second[850] = "[1,2]";              // a later one, possibly reached first by another worker
        var parts = () => new Stream[] { Part(first), Part(second) };

        var sequential = await Assert.ThrowsAsync<InvalidDataException>(() => EvaluateAsync(parts(), Options(1, 128)));
        var parallel = await Assert.ThrowsAsync<InvalidDataException>(() => EvaluateAsync(parts(), Options(3, 128)));

        Assert.StartsWith("Part 2, line 413:", sequential.Message);
        Assert.Equal(sequential.Message, parallel.Message);
    }

    [Fact]
    public async Task EvaluateAsync_ParallelBlankLinesAndCrLf_CountLinesAsSequentialDoes()
    {
        var text = "{\"a\":1}\r\n\r\n   \n{\"a\":2}\r\n" + string.Concat(Enumerable.Repeat("{\"a\":3}\n\n", 200)) + "{\"a\":";

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => RulesetEvaluator.EvaluateAsync(DqdlParser.Parse("Rules = [ RowCount > 0 ]"),
            DatasetSource.FromNdjson(new MemoryStream(Encoding.UTF8.GetBytes(text))), Options(2, 64)));

        Assert.StartsWith("Part 1, line 405:", error.Message);
    }

    [Fact]
    public async Task EvaluateAsync_ParallelCancelled_ThrowsAndDisposesOpenedParts()
    {
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();
        var opened = new List<MemoryStream>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RulesetEvaluator.EvaluateAsync(DqdlParser.Parse("Rules = [ RowCount > 0 ]"),
            DatasetSource.FromNdjsonParts([_ =>
            {
                var stream = Part(GenerateRows(10, seed: 4));
                opened.Add(stream);
                return Task.FromResult<Stream>(stream);
            }]),
            Options(2), cancellation.Token));

        Assert.All(opened, stream => Assert.False(stream.CanRead));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task EvaluateAsync_ParallelismBelowOne_Throws(int parallelism)
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => RulesetEvaluator.EvaluateAsync(DqdlParser.Parse("Rules = [ RowCount > 0 ]"),
            DatasetSource.FromNdjson(Part(["{}"])), Options(parallelism)));
    }

    [Fact]
    public void MaxDegreeOfParallelism_Default_IsProcessorCount()
    {
        Assert.Equal(Environment.ProcessorCount, new EvaluationOptions().MaxDegreeOfParallelism);
    }
}
