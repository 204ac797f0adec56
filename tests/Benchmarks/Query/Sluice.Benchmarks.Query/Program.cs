using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using DuckDB.NET.Data;
using Npgsql;
using Sluice.Benchmarks.Query;
using Sluice.Query.V1;

// Usage: Sluice.Benchmarks.Query [rows=1000000] [iterations=3] [engines=duckdb,postgres]
// PostgreSQL is measured when SLUICE_TEST_POSTGRES names a server (deploy/test-servers.sh env).
// The service runs in a child process: this program with "serve key=value ..." (BenchmarkHost).
if (args is ["serve", .. var settings])
{
    await BenchmarkHost.ServeAsync(settings);
    return;
}

var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var iterations = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var engines = (args.Length > 2 ? args[2] : "duckdb,postgres").Split(',');
const string Query = "SELECT id, name, email, amount, quantity, status, created_at, active FROM bench_rows ORDER BY id";

var work = Path.Combine(Path.GetTempPath(), "sluice-query-bench");
Directory.CreateDirectory(work);
var results = new List<Row>();

// DuckDB: the service's own data directory holds the database file. DuckDB's own export reads a
// copy of it: the service forbids file access beyond the lake (COPY ... TO included) for the
// database instance its connections share, and a copy is a separate instance with the same data.
var duckData = Path.Combine(work, "duckdb-service");
var duckFile = Path.Combine(duckData, "duckdb", "bench.duckdb");
var duckExportFile = Path.Combine(work, "duckdb-export", "bench.duckdb");
if (engines.Contains("duckdb"))
{
    Datasets.EnsureDuckDb(duckFile, duckExportFile, rows);
    await using var host = await BenchmarkHost.StartAsync(new Dictionary<string, string?>
    {
        ["DataDirectory"] = duckData, ["SeedDemoSchema"] = "false", ["LakeEnabled"] = "false",
    });
    results.Add(await Measure.EngineAsync("DuckDB", host, "bench", Query, rows, iterations,
        () => Measure.DuckDbExportAsync(duckExportFile, Query, Path.Combine(work, "duckdb-export", "export.csv"))));
}

if (engines.Contains("postgres") && Environment.GetEnvironmentVariable("SLUICE_TEST_POSTGRES") is { Length: > 0 } server)
{
    var database = "sluice_query_bench";
    var connection = new NpgsqlConnectionStringBuilder(server) { Database = database };
    await Datasets.EnsurePostgresAsync(server, database, rows);
    await using var host = await BenchmarkHost.StartAsync(new Dictionary<string, string?>
    {
        ["Engine"] = "Postgres", ["PostgresConnectionString"] = server, ["DataDirectory"] = Path.Combine(work, "postgres-service"),
    });
    var psqlArguments = new[] { "-X", "-q", "-h", connection.Host!, "-p", connection.Port.ToString(CultureInfo.InvariantCulture), "-U", connection.Username!, "-d", database,
        "-c", $"COPY ({Query}) TO STDOUT WITH CSV" };
    results.Add(await Measure.EngineAsync("PostgreSQL", host, database, Query, rows, iterations,
        () => Measure.ExportAsync("psql", psqlArguments, ("PGPASSWORD", connection.Password))));
}
else if (engines.Contains("postgres"))
{
    Console.WriteLine("SLUICE_TEST_POSTGRES is not set: PostgreSQL skipped.");
}

Report.Print(results, rows);

// CPU figures are CPU seconds during the step, steadier than wall time on a machine other jobs load: of the service's
// process (ExecuteCpu, FollowCpu), of this process, the gRPC client (ClientFollowCpu), and of DuckDB's export, which runs
// here too (NativeCpu; psql's is another process).
internal sealed record Row(string Engine, double NativeSeconds, double ExecuteSeconds, double StreamSeconds, double PageSeconds, double FollowSeconds, long ResultBytes,
    double NativeCpu, double ExecuteCpu, double FollowCpu, double ClientFollowCpu);

internal static class Measure
{
    // Each call gets a deadline, so a stall shows up as an error naming the step.
    private static CallOptions Bounded => new(deadline: DateTime.UtcNow.AddMinutes(3));

    /// <summary>Seconds DuckDB takes to run <paramref name="sql"/> into a CSV file with its own COPY ... TO (parallel).</summary>
    public static Task<double> DuckDbExportAsync(string database, string sql, string csv)
    {
        var watch = Stopwatch.StartNew();
        using var connection = new DuckDBConnection($"Data Source={database}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"COPY ({sql}) TO '{csv}' (FORMAT csv, HEADER false)";
        command.ExecuteNonQuery();
        return Task.FromResult(watch.Elapsed.TotalSeconds);
    }

    /// <summary>Best of <paramref name="iterations"/> for each way of reading, after one warm-up round.</summary>
    public static async Task<Row> EngineAsync(string engine, BenchmarkHost host, string database, string sql, int rows, int iterations,
        Func<Task<double>> export)
    {
        var client = host.Client;
        double native = double.MaxValue, execute = double.MaxValue, stream = double.MaxValue, page = double.MaxValue, follow = double.MaxValue;
        double nativeCpu = double.MaxValue, executeCpu = double.MaxValue, followCpu = double.MaxValue, clientFollowCpu = double.MaxValue;
        long bytes = 0;
        for (var i = 0; i <= iterations; i++)
        {
            var cpu = ProcessCpuSeconds();
            var n = await export();
            var nc = ProcessCpuSeconds() - cpu;
            cpu = host.ServiceCpuSeconds;
            var (id, e, size) = await Step("execute", i, () => ExecuteAsync(client, database, sql, rows));
            var ec = host.ServiceCpuSeconds - cpu;
            var (s, first) = await Step("stream", i, () => StreamAsync(client, id, rows));
            var p = await Step("pages", i, () => PageAsync(client, id, rows));
            cpu = host.ServiceCpuSeconds;
            var clientCpu = ProcessCpuSeconds();
            var (f, followFirst) = await Step("follow", i, () => FollowAsync(client, database, sql, rows));
            var fc = host.ServiceCpuSeconds - cpu;
            var fcc = ProcessCpuSeconds() - clientCpu;
            // First row: after executing and then streaming, the statement had written its whole result before the
            // stream started; following, the stream starts at the statement's first batch.
            Console.WriteLine($"  {engine} round {i}{(i == 0 ? " (warm-up)" : "")}: export {n:0.00} s, execute {e:0.00} s, stream {s:0.00} s, pages {p:0.00} s, " +
                $"execute then stream: first row after {e + first:0.000} s; follow {f:0.00} s, first row after {followFirst:0.000} s; " +
                $"CPU: export {nc:0.00} s; service: execute {ec:0.00} s, follow {fc:0.00} s; client: follow {fcc:0.00} s");
            if (i == 0)
            {
                continue;
            }
            (native, execute, stream, page, follow, bytes) = (Math.Min(native, n), Math.Min(execute, e), Math.Min(stream, s), Math.Min(page, p), Math.Min(follow, f), size);
            (nativeCpu, executeCpu, followCpu, clientFollowCpu) = (Math.Min(nativeCpu, nc), Math.Min(executeCpu, ec), Math.Min(followCpu, fc), Math.Min(clientFollowCpu, fcc));
        }
        return new Row(engine, native, execute, stream, page, follow, bytes, nativeCpu, executeCpu, followCpu, clientFollowCpu);
    }

    private static double ProcessCpuSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static async Task<T> Step<T>(string name, int round, Func<Task<T>> step)
    {
        try
        {
            return await step();
        }
        catch (RpcException exception)
        {
            throw new InvalidOperationException($"Round {round}, {name}: {exception.Status}", exception);
        }
    }

    /// <summary>Seconds to run <paramref name="program"/> to its end, its standard output read and discarded.</summary>
    public static async Task<double> ExportAsync(string program, string[] arguments, params (string Name, string? Value)[] environment)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var buffer = new byte[1 << 16];
        long lines = 0;
        var stdout = process.StandardOutput.BaseStream;
        int read;
        while ((read = await stdout.ReadAsync(buffer)) > 0)
        {
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        }
        await process.WaitForExitAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited {process.ExitCode}: {await stderr}");
        }
        return lines > 0 ? seconds : throw new InvalidOperationException($"{program} exported nothing.");
    }

    private static async Task<(string Id, double Seconds, long Bytes)> ExecuteAsync(QueryService.QueryServiceClient client, string database, string sql, int rows)
    {
        var clock = Stopwatch.StartNew();
        var accepted = await client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = database, Sql = sql }, Bounded);
        using var watch = client.WatchStatement(new WatchStatementRequest { Id = accepted.Id }, Bounded);
        DescribeStatementResponse? last = null;
        await foreach (var change in watch.ResponseStream.ReadAllAsync())
        {
            last = change.Statement;
        }
        var seconds = clock.Elapsed.TotalSeconds;
        if (last is not { Status: StatementStatus.Finished } || last.ResultRows != rows)
        {
            throw new InvalidOperationException($"The statement ended {last?.Status} with {last?.ResultRows} rows: {last?.Error}");
        }
        return (accepted.Id, seconds, last.ResultSize);
    }

    /// <summary>
    /// What a user waits for: ExecuteStatement, then at once StreamStatementResult, which follows the result while the
    /// statement writes it. Seconds to the last row, and to the first batch.
    /// </summary>
    private static async Task<(double Seconds, double FirstBatch)> FollowAsync(QueryService.QueryServiceClient client, string database, string sql, int rows)
    {
        var clock = Stopwatch.StartNew();
        var accepted = await client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = database, Sql = sql }, Bounded);
        return await ReadStreamAsync(client, accepted.Id, rows, clock);
    }

    /// <summary>Seconds to stream the whole result, and seconds until the first batch of rows arrived.</summary>
    private static Task<(double Seconds, double FirstBatch)> StreamAsync(QueryService.QueryServiceClient client, string id, int rows) =>
        ReadStreamAsync(client, id, rows, Stopwatch.StartNew());

    private static async Task<(double Seconds, double FirstBatch)> ReadStreamAsync(QueryService.QueryServiceClient client, string id, int rows, Stopwatch clock)
    {
        using var call = client.StreamStatementResult(new StreamStatementResultRequest { Id = id }, Bounded);
        long count = 0;
        var first = 0.0;
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            if (count == 0 && message.Batch?.Records.Count > 0)
            {
                first = clock.Elapsed.TotalSeconds;
            }
            count += message.Batch?.Records.Count ?? 0;
        }
        return (Check(count, rows, clock.Elapsed.TotalSeconds), first);
    }

    private static async Task<double> PageAsync(QueryService.QueryServiceClient client, string id, int rows)
    {
        var clock = Stopwatch.StartNew();
        long count = 0;
        var token = "";
        do
        {
            var page = await client.GetStatementResultAsync(new GetStatementResultRequest { Id = id, NextToken = token }, Bounded);
            count += page.Records.Count;
            token = page.NextToken;
        }
        while (token.Length > 0);
        return Check(count, rows, clock.Elapsed.TotalSeconds);
    }

    private static double Check(long count, int rows, double seconds) =>
        count == rows ? seconds : throw new InvalidOperationException($"Read {count} rows, expected {rows}.");
}

internal static class Report
{
    public static void Print(List<Row> results, int rows)
    {
        Console.WriteLine();
        Console.WriteLine($"{rows:N0} rows x 8 columns; best of the measured rounds; rows/s (higher is better)");
        Console.WriteLine();
        Console.WriteLine("| engine | native export | execute into store | stream alone | execute then stream | execute, stream following | pages (GetStatementResult) | stream / native | (execute then stream) / native | **following / native** | pages / stream |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            double Rate(double seconds) => rows / seconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Engine} | {Rate(r.NativeSeconds):N0} | {Rate(r.ExecuteSeconds):N0} | {Rate(r.StreamSeconds):N0} | {Rate(r.ExecuteSeconds + r.StreamSeconds):N0} | {Rate(r.FollowSeconds):N0} | {Rate(r.PageSeconds):N0} " +
                $"| {r.NativeSeconds / r.StreamSeconds:0.00} | {r.NativeSeconds / (r.ExecuteSeconds + r.StreamSeconds):0.00} | **{r.NativeSeconds / r.FollowSeconds:0.00}** | {r.StreamSeconds / r.PageSeconds:0.00} |"));
        }
        Console.WriteLine();
        Console.WriteLine("CPU seconds per 1M rows (least of the measured rounds; the service and its gRPC client are separate processes):");
        foreach (var r in results)
        {
            double PerMillion(double seconds) => seconds * 1_000_000 / rows;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Engine}: native export {(r.Engine == "DuckDB" ? PerMillion(r.NativeCpu).ToString("0.00", CultureInfo.InvariantCulture) : "(other process)")}, service: execute into store {PerMillion(r.ExecuteCpu):0.00}, execute + stream following {PerMillion(r.FollowCpu):0.00}; client: following {PerMillion(r.ClientFollowCpu):0.00}"));
        }
        Console.WriteLine();
        Console.WriteLine($"stored result size: {string.Join(", ", results.Select(r => $"{r.Engine} {r.ResultBytes / 1e6:0.0} MB"))}");
    }
}

internal static class Datasets
{
    /// <summary>Creates the 8-column table in a DuckDB file once (kept between runs), and the copy DuckDB's own export reads.</summary>
    public static void EnsureDuckDb(string file, string exportCopy, int rows)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        Directory.CreateDirectory(Path.GetDirectoryName(exportCopy)!);
        using (var connection = new DuckDBConnection($"Data Source={file}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'bench_rows'";
            var exists = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) == 1;
            command.CommandText = "SELECT count(*) FROM bench_rows";
            if (!exists || Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) != rows)
            {
                Console.WriteLine($"Creating {rows:N0} rows in {file} ...");
                command.CommandText = $"""
                    DROP TABLE IF EXISTS bench_rows;
                    CREATE TABLE bench_rows AS SELECT x AS id, 'customer ' || x AS name, 'user' || x || '@example.com' AS email, CAST((x * 7919 % 100000) / 100.0 AS DOUBLE) AS amount,
                        CAST(x % 50 AS INTEGER) AS quantity, ['active', 'inactive', 'pending'][x % 3 + 1] AS status,
                        TIMESTAMP '2023-11-14 22:13:20' + to_seconds(x * 37) AS created_at, x % 2 = 0 AS active
                    FROM range(1, {rows + 1}) AS r(x);
                    CHECKPOINT;
                    """;
                command.ExecuteNonQuery();
            }
        }
        File.Copy(file, exportCopy, overwrite: true);
    }

    /// <summary>Creates the same table in its own PostgreSQL database once (kept between runs).</summary>
    public static async Task EnsurePostgresAsync(string server, string database, int rows)
    {
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await using var exists = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = $1", admin) { Parameters = { new() { Value = database } } };
            if ((long)(await exists.ExecuteScalarAsync())! == 0)
            {
                await using var createDatabase = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
                await createDatabase.ExecuteNonQueryAsync();
            }
        }
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString);
        await connection.OpenAsync();
        await using var tableExists = new NpgsqlCommand("SELECT to_regclass('bench_rows') IS NOT NULL", connection);
        if ((bool)(await tableExists.ExecuteScalarAsync())!)
        {
            await using var count = new NpgsqlCommand("SELECT count(*) FROM bench_rows", connection);
            if ((long)(await count.ExecuteScalarAsync())! == rows)
            {
                return;
            }
        }
        Console.WriteLine($"Creating {rows:N0} rows in PostgreSQL database {database} ...");
        await using var create = new NpgsqlCommand($"""
            DROP TABLE IF EXISTS bench_rows;
            CREATE TABLE bench_rows (id bigint PRIMARY KEY, name text, email text, amount double precision, quantity integer, status text, created_at timestamp, active boolean);
            INSERT INTO bench_rows SELECT x, 'customer ' || x, 'user' || x || '@example.com', (x * 7919 % 100000) / 100.0, x % 50,
                (ARRAY['active', 'inactive', 'pending'])[x % 3 + 1], timestamp '2023-11-14 22:13:20' + make_interval(secs => x * 37), x % 2 = 0
            FROM generate_series(1::bigint, {rows}) AS x;
            """, connection) { CommandTimeout = 600 };
        await create.ExecuteNonQueryAsync();
        // On its own: VACUUM cannot run inside the multi-statement batch above.
        await using var vacuum = new NpgsqlCommand("VACUUM ANALYZE bench_rows", connection) { CommandTimeout = 600 };
        await vacuum.ExecuteNonQueryAsync();
    }
}
