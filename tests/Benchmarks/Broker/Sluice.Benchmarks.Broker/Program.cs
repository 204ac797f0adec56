using System.Collections.Concurrent;
using System.Diagnostics;
using Amazon.Runtime;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Benchmarks.Broker;
using Sluice.Contracts.Messages;
using Sluice.Query;
using Sluice.ServiceDefaults;
using Sluice.Transports.AmazonSqs;

// Per transport, in one run:
// - raw send -> consume: N messages sent by 16 concurrent senders to one queue, each stamped at
//   send; the consumer records the latency;
// - the statement saga end to end: N SubmitStatement commands (a trivial statement) published by
//   16 concurrent senders to a query service on that transport, until each one's
//   StatementFinished is received; submit -> finished latency per statement.
// Reports messages/s and statements/s with p50/p99 latencies, and the saga's rate against the raw one.
var count = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2000;
var root = FindRoot();
using var fauxqs = Process.Start(new ProcessStartInfo("node", [Path.Combine(root, "deploy/s3/start-fauxqs.mjs"), "--port", "0", "--exit-with-stdin"])
{
    RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false,
})!;
var line = await fauxqs.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("fauxqs did not start");
var url = new Uri(line[(line.IndexOf("http", StringComparison.Ordinal))..] + "/");
// fauxqs checks no signatures, but the SDK's credential chain needs something to sign with.
if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID")))
{
    Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "bench");
    Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "bench");
}
Console.WriteLine($"{count} messages and statements per transport, 16 concurrent senders, {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
try
{
    var scope = "bench" + Environment.ProcessId;
    var raw = await RunAsync("sqs (fauxqs)", x => x.UsingSluiceAmazonSqs((c, cfg) =>
    {
        cfg.Host(new SqsHostSettings { ServiceUrl = url, Credentials = new BasicAWSCredentials("b", "b"), Scope = scope });
        cfg.ConfigureEndpoints(c);
    }));
    await RunSagaAsync("sqs (fauxqs)", raw,
    [
        "--Sluice:Broker:Transport=AmazonSqs", "--Sluice:Broker:AmazonSqs:ServiceUrl=" + url, "--Sluice:Broker:AmazonSqs:Scope=" + scope + "saga",
    ]);
    if (Environment.GetEnvironmentVariable("SLUICE_TEST_RABBITMQ") is { Length: > 0 } rabbit)
    {
        raw = await RunAsync("rabbitmq", x => x.UsingRabbitMq((c, cfg) =>
        {
            cfg.Host(new Uri(rabbit));
            cfg.ConfigureEndpoints(c);
        }));
        await RunSagaAsync("rabbitmq", raw, ["--Sluice:Broker:Transport=RabbitMq", "--Sluice:Broker:RabbitMqUri=" + rabbit]);
    }
}
finally
{
    fauxqs.Kill();
}

async Task RunSagaAsync(string name, double rawRate, string[] broker)
{
    var data = Path.Combine(Path.GetTempPath(), "sluice-broker-bench", Guid.NewGuid().ToString("N"));
    var query = StandaloneServiceHost.Build(
        [.. broker, "--Sluice:Query:GrpcPort=0", "--Sluice:Query:DataApiPort=-1", "--Sluice:Admin:Port=-1", "--Sluice:Query:DataDirectory=" + data,
         "--Logging:LogLevel:Default=Warning"],
        "Query", 0, -1, builder => builder.AddQueryService(), app => app.MapQueryService());
    await query.StartAsync();
    var submitted = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
    var latencies = new Latencies(count);
    var failures = new ConcurrentQueue<string>();
    var bus = query.Services.GetRequiredService<IBusControl>();
    // A temporary queue of its own for the completion events, as a subscriber would have.
    var events = bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), null, endpoint =>
    {
        endpoint.Handler<StatementFinished>(context =>
        {
            if (submitted.TryRemove(context.Message.StatementId, out var at))
            {
                latencies.Add(Stopwatch.GetElapsedTime(at).TotalMilliseconds);
            }
            return Task.CompletedTask;
        });
        endpoint.Handler<StatementFailed>(context =>
        {
            failures.Enqueue(context.Message.StatementId + ": " + context.Message.Error);
            return Task.CompletedTask;
        });
    });
    try
    {
        await events.Ready.WaitAsync(TimeSpan.FromMinutes(1));
        var clock = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                var id = Guid.NewGuid().ToString();
                submitted[id] = Stopwatch.GetTimestamp();
                await bus.Publish(new SubmitStatement { StatementId = id, Database = "dev", Sql = "SELECT 1" });
            }
        }));
        var deadline = Stopwatch.StartNew();
        while (!latencies.All.IsCompleted && failures.IsEmpty)
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(10))
            {
                throw new TimeoutException($"{submitted.Count} of {count} statements had not finished after 10 minutes.");
            }
            await Task.WhenAny(latencies.All, Task.Delay(200));
        }
        if (!failures.IsEmpty)
        {
            throw new InvalidOperationException($"{failures.Count} statement(s) failed, e.g. {failures.First()}");
        }
        var elapsed = clock.Elapsed;
        var sorted = latencies.Sorted();
        var rate = count / elapsed.TotalSeconds;
        Console.WriteLine($"{name} saga: {count} statements in {elapsed.TotalSeconds:F2} s = {rate:F0} statements/s ({rate / rawRate:F2}x raw, goal 0.3x); " +
            $"submit->finished p50 {sorted[sorted.Length / 2]:F1} ms, p99 {sorted[(int)(sorted.Length * 0.99)]:F1} ms");
    }
    finally
    {
        await events.StopAsync();
        await query.StopAsync();
        await query.DisposeAsync();
        Directory.Delete(data, recursive: true);
    }
}

async Task<double> RunAsync(string name, Action<IBusRegistrationConfigurator> transport)
{
    var latencies = new Latencies(count);
    var services = new ServiceCollection().AddSingleton(latencies);
    services.AddMassTransit(x =>
    {
        x.DisableUsageTelemetry();
        x.AddConsumer<BenchConsumer>().Endpoint(e => { e.PrefetchCount = 100; e.ConcurrentMessageLimit = 32; e.Name = "bench-" + Environment.ProcessId; });
        transport(x);
    });
    await using var provider = services.BuildServiceProvider();
    var bus = provider.GetRequiredService<IBusControl>();
    await bus.StartAsync();
    try
    {
        var endpoint = await bus.GetSendEndpoint(new Uri("queue:bench-" + Environment.ProcessId));
        var clock = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                await endpoint.Send(new BenchMessage(Stopwatch.GetTimestamp()));
            }
        }));
        await latencies.All.WaitAsync(TimeSpan.FromMinutes(5));
        var elapsed = clock.Elapsed;
        var sorted = latencies.Sorted();
        Console.WriteLine($"{name} raw: {count} messages in {elapsed.TotalSeconds:F2} s = {count / elapsed.TotalSeconds:F0} msg/s; " +
            $"send->consume p50 {sorted[sorted.Length / 2]:F1} ms, p99 {sorted[(int)(sorted.Length * 0.99)]:F1} ms");
        return count / elapsed.TotalSeconds;
    }
    finally
    {
        await bus.StopAsync();
    }
}

static string FindRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
    {
        if (File.Exists(Path.Combine(d.FullName, "deploy/s3/start-fauxqs.mjs")))
        {
            return d.FullName;
        }
    }
    throw new InvalidOperationException("Run from the Sluice repository.");
}

namespace Sluice.Benchmarks.Broker
{
    public sealed record BenchMessage(long SentTimestamp);

    public sealed class Latencies(int expected)
    {
        private readonly List<double> _values = new(expected);
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task All => _all.Task;

        public void Add(double milliseconds)
        {
            lock (_values)
            {
                _values.Add(milliseconds);
                if (_values.Count >= expected)
                {
                    _all.TrySetResult();
                }
            }
        }

        public double[] Sorted()
        {
            lock (_values)
            {
                return _values.Order().ToArray();
            }
        }
    }

    public sealed class BenchConsumer(Latencies latencies) : IConsumer<BenchMessage>
    {
        public Task Consume(ConsumeContext<BenchMessage> context)
        {
            latencies.Add(Stopwatch.GetElapsedTime(context.Message.SentTimestamp).TotalMilliseconds);
            return Task.CompletedTask;
        }
    }
}
