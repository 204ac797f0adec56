using System.Diagnostics;
using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Contracts.Messages;
using Sluice.Query;
using Sluice.ServiceDefaults;

// Rows/s of the ingestion pipeline's load on DuckDB: DatasetValidated -> the load statement
// (column detection over every record, then CREATE TABLE ... LIMIT 0 + INSERT BY NAME from the
// job's parts) -> DatasetLoaded, against DuckDB itself reading the same files with read_json into
// a new table (CREATE TABLE ... AS SELECT), in the same run. Each round lands a new source (a new
// table on both sides) and alternates which side goes first.
// Usage: dotnet run -c Release --project tests/Benchmarks/Query/Sluice.Benchmarks.LakeLoad -- [rows=1000000] [rounds=3]
var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
const int RowsPerPart = 250_000;
var root = Path.Combine(Path.GetTempPath(), "sluice-lake-load-bench");
if (Directory.Exists(root))
{
    Directory.Delete(root, recursive: true);
}
var lakeRoot = Path.Combine(root, "objects");
var reference = Path.Combine(root, "reference.duckdb");

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Sluice:Query:DataDirectory"] = Path.Combine(root, "query"),
    ["Sluice:Query:GrpcPort"] = "-1",
    ["Sluice:Query:DataApiPort"] = "-1",
    ["Sluice:Query:StatementTimeout"] = "01:00:00",
    ["Sluice:ObjectStore:LocalRoot"] = lakeRoot,
    ["Logging:LogLevel:Default"] = "Warning",
});
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
builder.AddQueryService();
builder.AddSluiceBus();
await using var app = builder.Build();
await app.StartAsync();
var bus = app.Services.GetRequiredService<IBusControl>();
var answers = new System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource<object>>();
var handle = bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), null, endpoint =>
{
    endpoint.Handler<DatasetLoaded>(c => Answer(c.Message.JobId, c.Message));
    endpoint.Handler<DatasetLoadFailed>(c => Answer(c.Message.JobId, c.Message));
});
await handle.Ready;

Console.WriteLine($"rows {rows:N0} in parts of {RowsPerPart:N0}; rounds {rounds}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine("| round | Sluice load (rows/s) | DuckDB read_json CTAS (rows/s) | ratio |");
Console.WriteLine("|---|---|---|---|");
var ratios = new List<double>();
for (var round = 1; round <= rounds; round++)
{
    var source = $"bench_{round}";
    var jobId = Guid.NewGuid().ToString();
    var keys = Land(source, jobId);
    double sluice = 0, duck = 0;
    foreach (var side in round % 2 == 1 ? new[] { "sluice", "duck" } : ["duck", "sluice"])
    {
        var clock = Stopwatch.StartNew();
        if (side == "sluice")
        {
            var answer = answers.GetOrAdd(jobId, _ => new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously));
            await bus.Publish(new DatasetValidated
            {
                JobId = jobId, Source = source, Status = DatasetValidationStatus.Scored, Passed = true, EvaluatedAt = DateTimeOffset.UtcNow, ObjectKeys = keys,
            });
            var result = await answer.Task.WaitAsync(TimeSpan.FromMinutes(30));
            if (result is not DatasetLoaded loaded || loaded.RowCount != rows)
            {
                throw new InvalidOperationException($"The load did not load {rows} rows: {result}");
            }
            sluice = rows / clock.Elapsed.TotalSeconds;
        }
        else
        {
            using var connection = new DuckDBConnection("Data Source=" + reference);
            connection.Open();
            using var command = connection.CreateCommand();
            var files = string.Join(", ", keys.Select(k => "'" + Path.Combine(lakeRoot, k) + "'"));
            command.CommandText = $"CREATE TABLE {source} AS SELECT * FROM read_json([{files}], format = 'newline_delimited', hive_partitioning = true)";
            command.ExecuteNonQuery();
            command.CommandText = $"SELECT count(*) FROM {source}";
            if (Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) != rows)
            {
                throw new InvalidOperationException("The reference did not load every row.");
            }
            duck = rows / clock.Elapsed.TotalSeconds;
        }
    }
    ratios.Add(sluice / duck);
    Console.WriteLine($"| {round} | {sluice:N0} | {duck:N0} | {sluice / duck:F2} |");
}
Console.WriteLine($"median ratio {ratios.Order().ElementAt(ratios.Count / 2):F2}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
await handle.StopAsync();
await app.StopAsync();
return;

Task Answer(string jobId, object message)
{
    answers.GetOrAdd(jobId, _ => new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(message);
    return Task.CompletedTask;
}

// Parts as the ingestion service lands them: eight fields of an order, about 200 bytes a record.
List<string> Land(string source, string jobId)
{
    var keys = new List<string>();
    for (var part = 0; part * RowsPerPart < rows; part++)
    {
        var key = $"raw/{source}/ingest_date=2026-12-02/{jobId}/part-{part:D5}.ndjson";
        var path = Path.Combine(lakeRoot, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        for (var i = part * RowsPerPart; i < Math.Min(rows, (part + 1) * RowsPerPart); i++)
        {
            writer.Write(string.Create(CultureInfo.InvariantCulture,
                $"{{\"id\":{i},\"customer\":\"customer-{i % 9973}\",\"email\":\"user{i}@example.com\",\"amount\":{i % 100000 / 100.0},\"quantity\":{i % 17},\"status\":\"{(i % 3 == 0 ? "shipped" : "open")}\",\"created\":\"2026-11-{1 + i % 28:D2}T10:{i % 60:D2}:00\",\"gift\":{(i % 5 == 0 ? "true" : "false")}}}\n"));
        }
        keys.Add(key);
    }
    return keys;
}
