using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.DataQuality.Data;
using Sluice.DataQuality.Evaluation;
using Sluice.DataQuality.Parsing;
using Sluice.Validation.CustomSql;
using Sluice.Validation.Filtering;

namespace Sluice.Validation.Tests;

/// <summary>
/// Where clauses evaluated in the evaluator's own pass must select exactly the rows the DuckDB copy selects. Each test
/// evaluates the same ruleset over the same NDJSON twice, with DuckDB as the SQL engine: once with in-process
/// evaluation on, once off (every clause on DuckDB), and compares every rule's outcome, metrics and message. Each
/// row carries <c>bit</c> = 2^position, so <c>Sum "bit"</c> over a clause's rows names exactly the rows it selected.
/// </summary>
public sealed class WhereClauseDifferentialTests
{
    private const int Rows = 48;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public async Task EvaluateAsync_GeneratedClauses_InProcessSelectsTheRowsDuckDbSelects(int seed)
    {
        var random = new Random(seed);
        var ndjson = GenerateRows(random, mixedNumbers: seed % 2 == 0);
        var clauses = Enumerable.Range(0, 150).Select(_ => new ClauseGenerator(random).Clause()).Distinct().ToList();

        var (inProcess, onDuckDb) = await EvaluateBothWaysAsync(ndjson, clauses);

        AssertSameResults(clauses, inProcess, onDuckDb);
        // The comparison means something only if most clauses did run in process.
        var evaluatedInProcess = inProcess.WhereClauses.Count(clause => clause.InProcess);
        Assert.True(evaluatedInProcess >= clauses.Count / 2,
            $"only {evaluatedInProcess} of {clauses.Count} clauses ran in process: " + string.Join("; ", inProcess.WhereClauses.Where(c => !c.InProcess).Take(10).Select(c => $"{c.Clause} ({c.SqlEngineReason})")));
        Assert.All(onDuckDb.WhereClauses, clause => Assert.False(clause.InProcess));
    }

    [Fact]
    public async Task EvaluateAsync_HandPickedClauses_InProcessMatchesDuckDb()
    {
        var ndjson = GenerateRows(new Random(7), mixedNumbers: true);
        string[] clauses =
        [
            "s = 'é'", "s > 'a' AND s < 'z'", "s LIKE 'a%'", "s LIKE '%\\%' ", "s LIKE 'a!%b' ESCAPE '!'", "s LIKE 'a!_b' ESCAPE '!'", "s LIKE '%!%%' ESCAPE '!'", "s LIKE 'a!b' ESCAPE '!'", "s LIKE '%\\%' ESCAPE '\\'",
            "s LIKE 'a%' ESCAPE ''", "s ILIKE '%É%'", "s LIKE '_'", "s ILIKE 'A%'",
            "s NOT LIKE '%a%'", "s IS NULL", "s IS NOT NULL", "NOT s = 'b'", "s IN ('a', 'é', NULL)", "s NOT IN ('a', NULL)", "s NOT IN ('a', 'b')",
            "n BETWEEN 2 AND 7", "n NOT BETWEEN 2 AND 7", "n % 3 = 1", "n / 2 > 2", "n * 1.5 >= 6", "-n < -3", "n + 1 = 5 OR n IS NULL",
            "x > 2.5", "x = 3", "x < '4.5'", "x BETWEEN 1 AND 4.25", "b", "NOT b", "b = 'true'", "b IS NOT NULL AND NOT b",
            "d >= '2024-03-01'", "d = DATE '2024-02-29'", "d < TIMESTAMP '2024-03-01 12:00:00'", "t > '2024-01-15 10:00:00'", "t <= DATE '2024-02-01'",
            "UP = 1", "\"up\" > 1", "Up IS NULL", "big > 9007199254740992", "n = 2 = TRUE", "m = 1", "m IS NULL", "missing = 1", "n IN (1, '2')",
            "(n > 2 OR s = 'a') AND NOT (b OR x > 3)", "upper(s) = 'A'", "n::VARCHAR = '1'", "s = 'it''s'", "n >= 1e1", "x * 0.1 > 0.3",
            // The column-against-literal fast paths, with the column on either side.
            "'c' > s", "s <> 'a'", "s <= 'b'", "2 < n", "n <> 3", "n IN (1, 3, 5)", "n NOT IN (1, 3)", "s NOT IN ('a', 'é')", "2.5 > x", "x <> 3",
            "n < 2.5", "1e0 <= n", "x IN (1, 3)", "NOT (s = 'a' OR n = 2)", "b AND s = 'a'", "s = 'a' OR b",
        ];

        var (inProcess, onDuckDb) = await EvaluateBothWaysAsync(ndjson, clauses);

        AssertSameResults(clauses, inProcess, onDuckDb);
        Assert.Contains(inProcess.WhereClauses, clause => clause is { Clause: "s LIKE 'a%'", InProcess: true });
        Assert.Contains(inProcess.WhereClauses, clause => clause is { Clause: "upper(s) = 'A'", InProcess: false } && clause.SqlEngineReason!.Contains("function upper", StringComparison.Ordinal));
        Assert.Contains(inProcess.WhereClauses, clause => clause is { Clause: "m = 1", InProcess: false } && clause.SqlEngineReason!.Contains("VARCHAR with BIGINT", StringComparison.Ordinal));
        Assert.Contains(inProcess.WhereClauses, clause => clause is { Clause: "m IS NULL", InProcess: false } && clause.SqlEngineReason!.Contains("several types", StringComparison.Ordinal));
        Assert.Contains(inProcess.WhereClauses, clause => clause is { Clause: "missing = 1", InProcess: false } && clause.SqlEngineReason!.Contains("no key of the dataset is named missing", StringComparison.Ordinal));
    }

    private static void AssertSameResults(IReadOnlyList<string> clauses, Scorecard inProcess, Scorecard onDuckDb)
    {
        Assert.Equal(onDuckDb.Rules.Count, inProcess.Rules.Count);
        for (var i = 0; i < inProcess.Rules.Count; i++)
        {
            var (mine, duck) = (inProcess.Rules[i], onDuckDb.Rules[i]);
            var route = inProcess.WhereClauses.Single(c => c.Clause == clauses[i / 2]);
            var where = $"clause \"{clauses[i / 2]}\" ({(route.InProcess ? "in process" : route.SqlEngineReason)})";
            Assert.True(duck.Outcome == mine.Outcome, $"{where}: {mine} vs DuckDB {duck}");
            Assert.True(duck.FailureMessage == mine.FailureMessage, $"{where}: {mine.FailureMessage} vs DuckDB {duck.FailureMessage}");
            Assert.True(duck.Metrics.OrderBy(m => m.Key).SequenceEqual(mine.Metrics.OrderBy(m => m.Key)),
                $"{where}: {Describe(mine)} vs DuckDB {Describe(duck)}");
        }
    }

    private static string Describe(RuleResult result) => string.Join(", ", result.Metrics.Select(m => $"{m.Key}={m.Value.ToString("R", CultureInfo.InvariantCulture)}"));

    private static async Task<(Scorecard InProcess, Scorecard OnDuckDb)> EvaluateBothWaysAsync(string ndjson, IReadOnlyList<string> clauses)
    {
        var rules = clauses.SelectMany(clause =>
        {
            var quoted = clause.Replace("\"", "\\\"", StringComparison.Ordinal);
            return new[] { $"RowCount >= 0 where \"{quoted}\"", $"Sum \"bit\" >= 0 where \"{quoted}\"" };
        });
        var ruleset = DqdlParser.Parse($"Rules = [ {string.Join(",\n", rules)} ]");
        return (await EvaluateAsync(ruleset, ndjson, inProcess: true), await EvaluateAsync(ruleset, ndjson, inProcess: false));
    }

    private static async Task<Scorecard> EvaluateAsync(Sluice.DataQuality.Model.Ruleset ruleset, string ndjson, bool inProcess)
    {
        var bytes = Encoding.UTF8.GetBytes(ndjson);
        await using var copy = new DuckDbDatasetCopy(async (directory, cancellationToken) =>
        {
            var path = Path.Combine(directory, "part-00000.ndjson");
            await File.WriteAllBytesAsync(path, bytes, cancellationToken);
            return [path];
        }, new CustomSqlOptions(), NullLogger.Instance);
        using var stream = new MemoryStream(bytes);
        var options = new EvaluationOptions { CustomSqlRunner = copy, EvaluateWhereClausesInProcess = inProcess, MaxDegreeOfParallelism = 2 };
        return await RulesetEvaluator.EvaluateAsync(ruleset, DatasetSource.FromNdjson(stream), options);
    }

    /// <summary>Rows with nulls, missing keys, unicode, LIKE's special characters, dates, timestamps and a key in two cases.</summary>
    private static string GenerateRows(Random random, bool mixedNumbers)
    {
        string[] strings = ["a", "b", "é", "Ünï", "😀x", "a%b", "a_b", "%", "", "it's", "A", "ab", "z", "a\\\\b", "\\u00e9", "O\\\"Neil", "100", "10"];
        var lines = new StringBuilder();
        for (var row = 0; row < Rows; row++)
        {
            var fields = new List<string> { $"\"bit\":{1L << row}" };
            void Maybe(string key, string value)
            {
                switch (random.Next(8))
                {
                    case 0:
                        return; // missing key
                    case 1:
                        fields.Add($"\"{key}\":null");
                        return;
                    default:
                        fields.Add($"\"{key}\":{value}");
                        return;
                }
            }
            Maybe("n", random.Next(-3, 10).ToString(CultureInfo.InvariantCulture));
            Maybe("x", mixedNumbers && random.Next(3) == 0 ? random.Next(0, 6).ToString(CultureInfo.InvariantCulture)
                : (random.Next(0, 600) / 100.0).ToString("0.0#", CultureInfo.InvariantCulture));
            Maybe("s", $"\"{strings[random.Next(strings.Length)]}\"");
            Maybe("b", random.Next(2) == 0 ? "true" : "false");
            Maybe("d", $"\"{new DateOnly(2024, 1, 1).AddDays(random.Next(0, 120)):yyyy-MM-dd}\"");
            Maybe("t", $"\"{new DateTime(2024, 1, 1).AddMinutes(random.Next(0, 90 * 24 * 60)):yyyy-MM-dd'T'HH:mm:ss}Z\"");
            Maybe("Up", random.Next(0, 3).ToString(CultureInfo.InvariantCulture));
            Maybe("big", (9007199254740990L + random.Next(0, 5)).ToString(CultureInfo.InvariantCulture));
            Maybe("m", random.Next(2) == 0 ? "1" : "\"one\"");
            // Key order varies, as it may in real data.
            lines.Append('{').AppendJoin(',', fields.OrderBy(_ => random.Next())).Append("}\n");
        }
        return lines.ToString();
    }

    /// <summary>Random clauses over the generated columns, mostly in the modelled subset, some not.</summary>
    private sealed class ClauseGenerator(Random random)
    {
        private static readonly string[] StringLiterals = ["'a'", "'b'", "'é'", "'Ünï'", "''", "'z'", "'A'", "'it''s'", "'100'", "'10'", "'😀x'"];
        private static readonly string[] Patterns = ["'a%'", "'%b'", "'_'", "'a_b'", "'%\\%%'", "'%é%'", "'%'", "'__'", "'A%'", "'%x'"];

        public string Clause() => Boolean(3);

        private string Boolean(int depth)
        {
            if (depth == 0 || random.Next(3) == 0)
            {
                return Predicate();
            }
            return random.Next(4) switch
            {
                0 => $"{Boolean(depth - 1)} AND {Boolean(depth - 1)}",
                1 => $"{Boolean(depth - 1)} OR {Boolean(depth - 1)}",
                2 => $"NOT ({Boolean(depth - 1)})",
                _ => $"({Boolean(depth - 1)} OR {Boolean(depth - 1)}) AND {Boolean(depth - 1)}",
            };
        }

        private string Predicate() => random.Next(9) switch
        {
            0 => $"{StringColumn()} {Comparison()} {StringLiterals[random.Next(StringLiterals.Length)]}",
            1 => $"{StringColumn()} {(random.Next(3) == 0 ? "NOT " : "")}{(random.Next(4) == 0 ? "ILIKE" : "LIKE")} {Patterns[random.Next(Patterns.Length)]}",
            2 => $"{Pick("n", "x", "s", "b", "d", "t", "Up", "big", "m")} IS {(random.Next(2) == 0 ? "NOT " : "")}NULL",
            3 => $"{Numeric()} {Comparison()} {Numeric()}",
            4 => $"{Pick("n", "x", "UP")} {(random.Next(3) == 0 ? "NOT " : "")}IN ({string.Join(", ", Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(5) == 0 ? "NULL" : NumberLiteral()))})",
            5 => $"{Numeric()} {(random.Next(3) == 0 ? "NOT " : "")}BETWEEN {NumberLiteral()} AND {NumberLiteral()}",
            6 => $"{Pick("d", "t")} {Comparison()} {Pick("'2024-02-01'", "DATE '2024-02-15'", "'2024-03-01 08:00:00'", "TIMESTAMP '2024-02-10 12:30:00'", "'2024-1-5'")}",
            7 => Pick("b", "NOT b", "b = true", "b <> false", "b = 'false'"),
            _ => $"{Pick("s", "n", "x")} {Comparison()} {Pick("s", "n", "x", "'5'", "5")}",
        };

        private string Numeric()
        {
            var operand = Pick("n", "x", "Up", "up", "\"UP\"", "n", "x", NumberLiteral());
            return random.Next(3) switch
            {
                0 => $"{operand} {Pick("+", "-", "*", "/", "%")} {Pick(NumberLiteral(), "n", "x")}",
                1 => $"-{operand}",
                _ => operand,
            };
        }

        private string StringColumn() => Pick("s", "S", "\"s\"");

        private string NumberLiteral() => Pick(random.Next(-2, 9).ToString(CultureInfo.InvariantCulture), (random.Next(0, 60) / 10.0).ToString("0.0", CultureInfo.InvariantCulture), "0", "2.25", "1e1");

        private string Comparison() => Pick("=", "<>", "!=", "<", "<=", ">", ">=");

        private string Pick(params string[] choices) => choices[random.Next(choices.Length)];
    }
}
