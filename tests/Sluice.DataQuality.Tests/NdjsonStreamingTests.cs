using System.Text;
using Sluice.DataQuality.Data;
using Sluice.DataQuality.Evaluation;
using Sluice.DataQuality.Parsing;

namespace Sluice.DataQuality.Tests;

public class NdjsonStreamingTests
{
    private const string Ruleset = """
        Rules = [
            RowCount = 2000,
            ColumnCount = 7,
            IsPrimaryKey "id",
            Completeness "email" > 0.8,
            ColumnValues "email" matches "[^@]+@[^@]+" with threshold > 0.8,
            ColumnValues "status" in ["active", "inactive", NULL],
            ColumnLength "country" = 2,
            Mean "amount" between 0 and 1000,
            StandardDeviation "amount" > 0,
            Sum "amount" > 0,
            Entropy "status" > 0.5,
            UniqueValueRatio "country" < 1,
            DistinctValuesCount "note" > 10,
            ColumnDataType "created_at" = "Timestamp",
            DataFreshness "created_at" <= 400 days,
            (IsComplete "id") and (Uniqueness "note" "country" > 0.1)
        ]
        """;

    /// <summary>Deterministic rows with nulls, missing keys, escapes, unicode and nested values.</summary>
    private static List<string> GenerateRows()
    {
        var random = new Random(7);
        var rows = new List<string>();
        string[] countries = ["US", "DE", "FR", "JP", "BR"];
        for (var i = 0; i < 2000; i++)
        {
            var email = random.Next(10) == 0 ? "null" : $"\"user{i}@example.com\"";
            var status = (i % 7) switch { 0 => "null", 1 or 2 => "\"inactive\"", _ => "\"active\"" };
            var note = (i % 3) switch { 0 => $"\"line \\\"{i % 50}\\\" \\u00e9\"", 1 => $"\"naïve {i % 40}\"", _ => "{\"k\":[1,2]}" };
            var created = new DateTime(2024, 1, 1).AddHours(i).ToString("yyyy-MM-ddTHH:mm:ss") + "Z";
            var row = i % 11 == 0
                ? $$"""{"id":{{i}},"status":{{status}},"country":"{{countries[i % 5]}}","amount":{{random.Next(0, 100000) / 100.0}},"note":{{note}},"created_at":"{{created}}"}"""
                : $$"""{"email":{{email}},"id":{{i}},"status":{{status}},"country":"{{countries[i % 5]}}","amount":{{random.Next(0, 100000) / 100.0}},"note":{{note}},"created_at":"{{created}}"}""";
            rows.Add(row);
        }
        return rows;
    }

    private static EvaluationOptions Options(int bufferSize) => new()
    {
        TimeProvider = new FixedTimeProvider(Dq.Now),
        BufferSize = bufferSize,
    };

    private static void AssertSameResults(Scorecard expected, Scorecard actual)
    {
        Assert.Equal(expected.Score, actual.Score);
        Assert.Equal(expected.RowCount, actual.RowCount);
        Assert.Equal(expected.Rules.Count, actual.Rules.Count);
        for (var i = 0; i < expected.Rules.Count; i++)
        {
            Assert.Equal(expected.Rules[i].Outcome, actual.Rules[i].Outcome);
            Assert.Equal(expected.Rules[i].Metrics.OrderBy(m => m.Key), actual.Rules[i].Metrics.OrderBy(m => m.Key));
            Assert.Equal(expected.Rules[i].FailureMessage, actual.Rules[i].FailureMessage);
        }
    }

    private static MemoryStream Part(IEnumerable<string> lines, string separator = "\n", bool trailingNewline = true)
    {
        var text = string.Join(separator, lines) + (trailingNewline ? separator : "");
        return new MemoryStream(Encoding.UTF8.GetBytes(text));
    }

    [Theory]
    [InlineData(1 << 20)]
    [InlineData(64)]
    public async Task SeveralParts_GiveSameScorecardAsInlineRows(int bufferSize)
    {
        var rows = GenerateRows();
        var ruleset = DqdlParser.Parse(Ruleset);

        var inline = await RulesetEvaluator.EvaluateAsync(ruleset, Dq.Rows(rows), Options(bufferSize));
        var streamed = await RulesetEvaluator.EvaluateAsync(ruleset,
            DatasetSource.FromNdjson(Part(rows.Take(700)), Part(rows.Skip(700).Take(1), trailingNewline: false), Part(rows.Skip(701), "\r\n")),
            Options(bufferSize));

        AssertSameResults(inline, streamed);
        Assert.Equal(2000, streamed.RowCount);
        // The fixture is built so that most rules pass and a few fail; both kinds are compared above.
        Assert.Contains(streamed.Rules, r => r.Outcome == RuleOutcome.Passed);
        Assert.Contains(streamed.Rules, r => r.Outcome == RuleOutcome.Failed);
    }

    [Fact]
    public async Task OnePartVersusManySmallParts_SameScorecard()
    {
        var rows = GenerateRows();
        var ruleset = DqdlParser.Parse(Ruleset);

        var whole = await RulesetEvaluator.EvaluateAsync(ruleset, DatasetSource.FromNdjson(Part(rows)), Options(4096));
        var pieces = await RulesetEvaluator.EvaluateAsync(ruleset, DatasetSource.FromNdjson(rows.Chunk(97).Select(chunk => (Stream)Part(chunk))), Options(4096));

        AssertSameResults(whole, pieces);
    }

    [Fact]
    public async Task BomBlankLinesAndCrLf_AreTolerated()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("{\"a\":1}\r\n\r\n   \n{\"a\":2}\r\n\n")).ToArray();

        var scorecard = await RulesetEvaluator.EvaluateAsync(DqdlParser.Parse("Rules = [ RowCount = 2, Sum \"a\" = 3 ]"),
            DatasetSource.FromNdjson(new MemoryStream(bytes)), Options(1024));

        Assert.All(scorecard.Rules, r => Assert.Equal(RuleOutcome.Passed, r.Outcome));
    }

    [Fact]
    public async Task EscapedPropertyName_MatchesColumn()
    {
        var scorecard = await RulesetEvaluator.EvaluateAsync(DqdlParser.Parse("Rules = [ IsComplete \"ab\" ]"),
            DatasetSource.FromNdjson(Part(["{\"a\\u0062\":1}", "{\"ab\":2}"])), Options(1024));

        Assert.Equal(RuleOutcome.Passed, Assert.Single(scorecard.Rules).Outcome);
    }

    [Fact]
    public async Task InvalidLine_ThrowsNamingPartAndLine()
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => RulesetEvaluator.EvaluateAsync(
            DqdlParser.Parse("Rules = [ RowCount > 0 ]"),
            DatasetSource.FromNdjson(Part(["{\"a\":1}"]), Part(["{\"a\":2}", "", "{\"a\":"])),
            Options(1024)));

        Assert.StartsWith("Part 2, line 3:", error.Message);
    }

    [Fact]
    public async Task LineThatIsNotAnObject_ThrowsNamingLine()
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => RulesetEvaluator.EvaluateAsync(
            DqdlParser.Parse("Rules = [ RowCount > 0 ]"),
            DatasetSource.FromNdjson(Part(["{\"a\":1}", "[1,2]"])),
            Options(1024)));

        Assert.StartsWith("Part 1, line 2:", error.Message);
    }

    [Fact]
    public async Task FromNdjsonParts_OpensInOrderAndDisposesEachPart()
    {
        var opened = new List<int>();
        var parts = new List<TrackingStream>();
        var sources = Enumerable.Range(0, 3).Select(index => (Func<CancellationToken, Task<Stream>>)(_ =>
        {
            opened.Add(index);
            var stream = new TrackingStream(Encoding.UTF8.GetBytes($"{{\"n\":{index}}}\n"));
            parts.Add(stream);
            return Task.FromResult<Stream>(stream);
        }));

        var scorecard = await RulesetEvaluator.EvaluateAsync(DqdlParser.Parse("Rules = [ Sum \"n\" = 3, RowCount = 3 ]"),
            DatasetSource.FromNdjsonParts(sources), Options(1024));

        Assert.Equal(1.0, scorecard.Score);
        Assert.Equal([0, 1, 2], opened);
        Assert.All(parts, part => Assert.True(part.Disposed));
    }

    [Fact]
    public async Task Cancellation_StopsReading()
    {
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RulesetEvaluator.EvaluateAsync(
            DqdlParser.Parse("Rules = [ RowCount > 0 ]"), DatasetSource.FromNdjson(Part(["{\"a\":1}"])), Options(1024), cancellation.Token));
    }

    private sealed class TrackingStream(byte[] data) : MemoryStream(data)
    {
        public bool Disposed { get; private set; }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
