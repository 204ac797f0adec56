using System.Diagnostics;
using System.Globalization;
using Sluice.Benchmarks.DataQuality;
using Sluice.DataQuality.Data;
using Sluice.DataQuality.Evaluation;
using Sluice.DataQuality.Parsing;

// Usage: Sluice.Benchmarks.DataQuality [rows] [iterations] [--breakdown] [--where] (both: per-rule cost of the where ruleset)
var breakdown = args.Contains("--breakdown");
var where = args.Contains("--where");
args = args.Where(a => a is not ("--breakdown" or "--where")).ToArray();
var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var iterations = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;

const string Ruleset = """
    Rules = [
        RowCount = 1000000,
        ColumnCount = 8,
        IsPrimaryKey "id",
        IsComplete "name",
        Completeness "email" > 0.95,
        ColumnValues "email" matches "[a-z0-9._]+@[a-z0-9.-]+\.[a-z]+" with threshold > 0.9,
        ColumnValues "status" in ["active", "inactive", "pending"],
        ColumnValues "country" in ["US", "DE", "FR", "JP", "BR", "IN", "GB", "CA"],
        ColumnLength "country" = 2,
        ColumnValues "amount" between 0 and 10000,
        Mean "amount" between 100 and 9000,
        StandardDeviation "amount" < 5000,
        (Sum "quantity" > 0) and (ColumnValues "quantity" > 0),
        Entropy "status" > 0.5,
        DataFreshness "created_at" <= 1100 days
    ]
    """;

var path = Path.Combine(Path.GetTempPath(), $"sluice-dq-bench-{rows}.ndjson");
if (!File.Exists(path))
{
    Console.WriteLine($"Generating {rows:N0} rows into {path} ...");
    DatasetGenerator.Write(path, rows);
}
var bytes = new FileInfo(path).Length;
var ruleset = DqdlParser.Parse(Ruleset);
var parallelism = Environment.ProcessorCount;
var options = new EvaluationOptions { TimeProvider = new FixedClock(DatasetGenerator.Now), MaxDegreeOfParallelism = parallelism };
var sequentialOptions = new EvaluationOptions { TimeProvider = new FixedClock(DatasetGenerator.Now), MaxDegreeOfParallelism = 1 };

if (breakdown)
{
    // Marginal cost of each rule: the ruleset with no rules, then each rule alone (one run each, after warm-up).
    // CPU time is reported too: it is less disturbed than wall time when other processes share the cores.
    (double Wall, double Cpu) Time(Func<long> run)
    {
        GC.Collect();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        run();
        return (watch.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    }
    // Sequential, so the cost of each rule is its CPU cost on one core.
    long Evaluate(string dqdl)
    {
        using var file = ParseOnly.Open(path);
        return RulesetEvaluator.EvaluateAsync(DqdlParser.Parse(dqdl), DatasetSource.FromNdjson(file), sequentialOptions).GetAwaiter().GetResult().RowCount;
    }
    void Report(string label, Func<long> run)
    {
        var best = Enumerable.Range(0, iterations).Select(_ => Time(run)).MinBy(t => t.Cpu);
        Console.WriteLine($"{best.Wall,7:F3} s wall {best.Cpu,7:F3} s cpu  {label}");
    }
    // With --where: the rules of the where-clause ruleset (evaluated in the main pass) instead.
    var breakdownText = where ? WhereClauses.Ruleset : Ruleset;
    Time(() => ParseOnly.ReadAllTokensPerLine(path));
    Time(() => Evaluate(breakdownText));
    Report("parse-only per line (floor)", () => ParseOnly.ReadAllTokensPerLine(path));
    Report("no rules: read + parse + key matching", () => Evaluate("Rules = [ ]"));
    foreach (var rule in DqdlParser.Parse(breakdownText).Rules)
    {
        Report(rule.Text, () => Evaluate($"Rules = [ {rule.Text} ]"));
    }
    Report("all rules", () => Evaluate(breakdownText));
    return;
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
var loadBefore = LoadAverage();
Scorecard? sequentialScorecard = null;
Scorecard? lastScorecard = null;
long Run(EvaluationOptions evaluationOptions, Action<Scorecard> keep)
{
    using var file = ParseOnly.Open(path);
    var scorecard = RulesetEvaluator.EvaluateAsync(ruleset, DatasetSource.FromNdjson(file), evaluationOptions).GetAwaiter().GetResult();
    keep(scorecard);
    return scorecard.RowCount;
}

Scorecard? whereScorecard = null;
var variants = new List<(string Name, Func<long> Run)>
{
    ("parse-only: Utf8JsonReader, AllowMultipleValues, all tokens", () => ParseOnly.ReadAllTokensMultiValue(path)),
    ("parse-only: split lines + Utf8JsonReader per line, all tokens", () => ParseOnly.ReadAllTokensPerLine(path)),
    ("evaluate 15 rules, sequential (MaxDegreeOfParallelism = 1)", () => Run(sequentialOptions, s => sequentialScorecard = s)),
    ($"evaluate 15 rules, parallel (MaxDegreeOfParallelism = {parallelism})", () => Run(options, s => lastScorecard = s)),
};
Scorecard? whereSequentialScorecard = null;
if (where)
{
    // 12 rules, 7 with one of 3 where clauses, evaluated in the main pass (the validation service's DuckDB copy is
    // the runner, used only for clauses outside the in-process subset: none here).
    variants.Add(("evaluate 12 rules with 3 where clauses, sequential", () =>
    {
        whereSequentialScorecard = WhereClauses.Evaluate(path, new FixedClock(DatasetGenerator.Now), 1);
        return whereSequentialScorecard.RowCount;
    }));
    variants.Add(($"evaluate 12 rules with 3 where clauses, parallel ({parallelism})", () =>
    {
        whereScorecard = WhereClauses.Evaluate(path, new FixedClock(DatasetGenerator.Now), parallelism);
        return whereScorecard.RowCount;
    }));
}

var timings = variants.Select(_ => new List<double>()).ToArray();
// CPU time of the whole process (all threads) per variant run: steadier than wall time when other processes share
// the cores, and it shows what parallel workers cost in total.
var cpuTimings = variants.Select(_ => new List<double>()).ToArray();
for (var iteration = 0; iteration <= iterations; iteration++)
{
    // Interleave variants so machine noise hits all of them alike; iteration 0 is warm-up.
    for (var v = 0; v < variants.Count; v++)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var counted = variants[v].Run();
        watch.Stop();
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        if (counted != rows)
        {
            throw new InvalidOperationException($"{variants[v].Name} counted {counted} rows, expected {rows}");
        }
        if (iteration > 0)
        {
            timings[v].Add(watch.Elapsed.TotalSeconds);
            cpuTimings[v].Add(cpuSeconds);
        }
    }
}

double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

var rates = timings.Select(t => rows / Median(t)).ToArray();
var floor = Math.Max(rates[0], rates[1]);
var cpuPerRow = cpuTimings.Select(t => Median(t) / rows * 1e9).ToArray();
var floorCpuPerRow = rates[0] >= rates[1] ? cpuPerRow[0] : cpuPerRow[1];
Console.WriteLine();
Console.WriteLine($"Dataset: {rows:N0} rows, {bytes / 1048576.0:F1} MiB NDJSON, 8 columns; median of {iterations} runs after 1 warm-up; {Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine($"Load average (1, 5, 15 min) before: {loadBefore}; after: {LoadAverage()}");
Console.WriteLine();
Console.WriteLine($"| {"variant",-62} | {"median s",9} | {"rows/s",12} | {"MiB/s",7} | {"x floor",7} | {"cpu ns/row",10} | {"x floor cpu",11} |");
Console.WriteLine($"|{new string('-', 64)}|{new string('-', 11)}|{new string('-', 14)}|{new string('-', 9)}|{new string('-', 9)}|{new string('-', 12)}|{new string('-', 13)}|");
for (var v = 0; v < variants.Count; v++)
{
    var seconds = Median(timings[v]);
    Console.WriteLine($"| {variants[v].Name,-62} | {seconds,9:F3} | {rates[v],12:N0} | {bytes / 1048576.0 / seconds,7:F1} | {rates[v] / floor,7:F2} | {cpuPerRow[v],10:F0} | {floorCpuPerRow / cpuPerRow[v],11:F2} |");
}
Console.WriteLine();
Console.WriteLine($"Floor = the faster parse-only variant ({floor:N0} rows/s, one thread). Goal: evaluation / floor >= 0.50.");
Console.WriteLine($"Sequential evaluation / floor = {rates[2] / floor:F2}; parallel evaluation ({parallelism} workers, the file still read once) / floor = {rates[3] / floor:F2}.");
if (!SameScorecard(sequentialScorecard!, lastScorecard!))
{
    throw new InvalidOperationException("The parallel scorecard differs from the sequential one.");
}
Console.WriteLine("Parallel and sequential scorecards are identical (outcomes, metrics bit for bit, messages).");
if (whereScorecard is not null)
{
    if (!SameScorecard(whereSequentialScorecard!, whereScorecard))
    {
        throw new InvalidOperationException("The parallel where-clause scorecard differs from the sequential one.");
    }
    Console.WriteLine($"With where clauses / floor: sequential {rates[4] / floor:F2}, parallel {rates[5] / floor:F2}; "
        + $"CPU per row, floor / sequential: {floorCpuPerRow / cpuPerRow[4]:F2} (identical scorecards).");
    foreach (var clause in whereScorecard.WhereClauses)
    {
        Console.WriteLine($"  where \"{clause.Clause}\": {(clause.InProcess ? "in process" : "SQL engine: " + clause.SqlEngineReason)}");
    }
    Console.WriteLine("For comparison, the DuckDB path these clauses took before:");
    WhereClauses.Profile(path, new FixedClock(DatasetGenerator.Now), parallelism);
    Console.WriteLine($"Where scorecard: score {whereScorecard.Score:F3}");
    foreach (var rule in whereScorecard.Rules)
    {
        var metrics = string.Join(", ", rule.Metrics.Select(m => $"{m.Key}={m.Value.ToString("G6", CultureInfo.InvariantCulture)}"));
        Console.WriteLine($"  {rule.Outcome,-6} {rule.Rule}  [{metrics}] {rule.FailureMessage}");
    }
}
Console.WriteLine();
Console.WriteLine($"Scorecard of the last run: score {lastScorecard!.Score:F3}");
foreach (var rule in lastScorecard.Rules)
{
    var metrics = string.Join(", ", rule.Metrics.Select(m => $"{m.Key}={m.Value.ToString("G6", CultureInfo.InvariantCulture)}"));
    Console.WriteLine($"  {rule.Outcome,-6} {rule.Rule}  [{metrics}]");
}

static bool SameScorecard(Scorecard a, Scorecard b) =>
    a.Score == b.Score && a.RowCount == b.RowCount && a.Rules.Count == b.Rules.Count
    && a.Rules.Zip(b.Rules).All(pair => pair.First.Outcome == pair.Second.Outcome && pair.First.FailureMessage == pair.Second.FailureMessage
        && pair.First.Metrics.OrderBy(m => m.Key).SequenceEqual(pair.Second.Metrics.OrderBy(m => m.Key)));

internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
