using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
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
// - raw send -> consume: messages sent by 16 concurrent senders to one queue, each stamped at
//   send; the consumer records the latency;
// - the statement saga end to end: SubmitStatement commands (a trivial statement) published by
//   16 concurrent senders to a query service on that transport, until each one's
//   StatementFinished is received; submit -> finished latency per statement.
// Each phase is warmed up first (connections, queues, JIT, the DuckDB file), then measured with at
// least the count given (default 2000) and enough for about MeasuredSeconds at the warm-up's rate.
// Reports messages/s and statements/s with p50/p99 latencies, the saga's rate against the raw one,
// the messages the query service's bus sends per statement, and this process's CPU per message or
// statement (the query service runs in it; fauxqs's own CPU is shown apart).
var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
// An optional second argument runs one transport only ("sqs" or "rabbitmq"), e.g. under a profiler.
var only = args.Length > 1 ? args[1] : null;
const double MeasuredSeconds = 4;
const int Senders = 16;
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
Console.WriteLine($"at least {count} messages and statements per phase (about {MeasuredSeconds} s each), {Senders} concurrent senders, " +
    $"{Environment.ProcessorCount} cores, load average {LoadAverage()}");
var results = new List<string>();
try
{
    var scope = "bench" + Environment.ProcessId;
    if (only is null or "sqs")
    {
        var raw = await RunRawAsync("sqs (fauxqs)", fauxqs, x => x.UsingSluiceAmazonSqs((c, cfg) =>
        {
            cfg.Host(new SqsHostSettings { ServiceUrl = url, Credentials = new BasicAWSCredentials("b", "b"), Scope = scope });
            cfg.ConfigureEndpoints(c);
        }));
        await RunSagaAsync("sqs (fauxqs)", raw, fauxqs,
        [
            "--Sluice:Broker:Transport=AmazonSqs", "--Sluice:Broker:AmazonSqs:ServiceUrl=" + url, "--Sluice:Broker:AmazonSqs:Scope=" + scope + "saga",
        ]);
    }
    if (only is "sqs")
    {
        // RabbitMQ not asked for.
    }
    else if (Environment.GetEnvironmentVariable("SLUICE_TEST_RABBITMQ") is { Length: > 0 } rabbit)
    {
        var raw = await RunRawAsync("rabbitmq", null, x => x.UsingRabbitMq((c, cfg) =>
        {
            cfg.Host(new Uri(rabbit));
            cfg.ConfigureEndpoints(c);
        }));
        await RunSagaAsync("rabbitmq", raw, null, ["--Sluice:Broker:Transport=RabbitMq", "--Sluice:Broker:RabbitMqUri=" + rabbit]);
    }
    else
    {
        Console.WriteLine("rabbitmq: skipped, SLUICE_TEST_RABBITMQ is not set (eval the test servers' env first)");
    }
}
finally
{
    fauxqs.Kill();
}
Console.WriteLine();
Console.WriteLine("summary (rerun: dotnet run -c Release --project tests/Benchmarks/Broker/Sluice.Benchmarks.Broker -- " + count + ")");
results.ForEach(Console.WriteLine);

async Task RunSagaAsync(string name, double rawRate, Process? broker, string[] transport)
{
    var data = Path.Combine(Path.GetTempPath(), "sluice-broker-bench", Guid.NewGuid().ToString("N"));
    var query = StandaloneServiceHost.Build(
        [.. transport, "--Sluice:Query:GrpcPort=0", "--Sluice:Query:DataApiPort=-1", "--Sluice:Admin:Port=-1", "--Sluice:Query:DataDirectory=" + data,
         "--Logging:LogLevel:Default=Warning"],
        "Query", 0, -1, builder => builder.AddQueryService(), app => app.MapQueryService());
    await query.StartAsync();
    var bus = query.Services.GetRequiredService<IBusControl>();
    var traffic = new BusTraffic();
    using var sends = bus.ConnectSendObserver(traffic);
    using var publishes = bus.ConnectPublishObserver(traffic);
    using var consumes = bus.ConnectConsumeObserver(traffic);
    var phase = new SagaPhase();
    // A temporary queue of its own for the completion events, as a subscriber would have.
    var events = bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), null, endpoint =>
    {
        endpoint.Handler<StatementFinished>(context =>
        {
            phase.Finished(context.Message.StatementId);
            return Task.CompletedTask;
        });
        endpoint.Handler<StatementFailed>(context =>
        {
            phase.Failed(context.Message.StatementId + ": " + context.Message.Error);
            return Task.CompletedTask;
        });
    });
    try
    {
        await events.Ready.WaitAsync(TimeSpan.FromMinutes(1));
        var warmUp = await SubmitAndWaitAsync(Math.Min(count, 500));
        var measured = Math.Max(count, (int)(warmUp.Rate * MeasuredSeconds));
        var load = LoadAverage();
        traffic.Reset();
        var cpu = new CpuClock(broker);
        var run = await SubmitAndWaitAsync(measured);
        var (ownCpu, brokerCpu) = cpu.Elapsed();
        var rate = run.Rate;
        var report = $"{name} saga: {measured} statements in {run.Seconds:F2} s = {rate:F0} statements/s ({rate / rawRate:F2}x raw, goal 0.3x); " +
            $"submit->finished p50 {run.P50:F1} ms, p99 {run.P99:F1} ms; {traffic.Total / (double)measured:F2} messages/statement sent or published by the bus, " +
            $"{traffic.ConsumedTotal / (double)measured:F2} consumed; " +
            $"CPU {ownCpu.TotalMilliseconds / measured:F2} ms/statement (service and senders){BrokerCpu(brokerCpu, measured, "statement")}; load {load} -> {LoadAverage()}";
        Console.WriteLine(report);
        Console.WriteLine("  messages per statement: " + string.Join(", ", traffic.ByType().Select(t => $"{t.Type} {t.Count / (double)measured:F2}")));
        Console.WriteLine("  consumed per statement: " + string.Join(", ", traffic.ConsumedByType().Select(t => $"{t.Type} {t.Count / (double)measured:F2}")));
        results.Add(report);
    }
    finally
    {
        await events.StopAsync();
        await query.StopAsync();
        await query.DisposeAsync();
        Directory.Delete(data, recursive: true);
    }

    async Task<PhaseResult> SubmitAndWaitAsync(int statements)
    {
        var latencies = phase.Start(statements);
        var clock = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Senders).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < statements)
            {
                var id = Guid.NewGuid().ToString();
                phase.Submitted(id);
                await bus.Publish(new SubmitStatement { StatementId = id, Database = "dev", Sql = "SELECT 1" });
            }
        }));
        var deadline = Stopwatch.StartNew();
        while (!latencies.All.IsCompleted && phase.FirstFailure is null)
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(10))
            {
                throw new TimeoutException($"{phase.Pending} of {statements} statements had not finished after 10 minutes.");
            }
            await Task.WhenAny(latencies.All, Task.Delay(200));
        }
        if (phase.FirstFailure is { } failure)
        {
            throw new InvalidOperationException($"A statement failed: {failure}");
        }
        return PhaseResult.Of(statements, clock.Elapsed, latencies);
    }
}

async Task<double> RunRawAsync(string name, Process? broker, Action<IBusRegistrationConfigurator> transport)
{
    var holder = new LatenciesHolder();
    var services = new ServiceCollection().AddSingleton(holder);
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
        // Twice: the first round's rate still holds the connection's and the JIT's start.
        await SendAndWaitAsync(Math.Min(count, 2000));
        var warmUp = await SendAndWaitAsync(Math.Min(count, 2000));
        var measured = Math.Max(count, (int)(warmUp.Rate * MeasuredSeconds));
        var load = LoadAverage();
        var cpu = new CpuClock(broker);
        var run = await SendAndWaitAsync(measured);
        var (ownCpu, brokerCpu) = cpu.Elapsed();
        var report = $"{name} raw: {measured} messages in {run.Seconds:F2} s = {run.Rate:F0} msg/s; send->consume p50 {run.P50:F1} ms, p99 {run.P99:F1} ms; " +
            $"CPU {ownCpu.TotalMilliseconds / measured:F3} ms/message{BrokerCpu(brokerCpu, measured, "message")}; load {load} -> {LoadAverage()}";
        Console.WriteLine(report);
        results.Add(report);
        return run.Rate;

        async Task<PhaseResult> SendAndWaitAsync(int messages)
        {
            var latencies = holder.Current = new Latencies(messages);
            var clock = Stopwatch.StartNew();
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, Senders).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) < messages)
                {
                    await endpoint.Send(new BenchMessage(Stopwatch.GetTimestamp()));
                }
            }));
            await latencies.All.WaitAsync(TimeSpan.FromMinutes(5));
            return PhaseResult.Of(messages, clock.Elapsed, latencies);
        }
    }
    finally
    {
        await bus.StopAsync();
    }
}

static string BrokerCpu(TimeSpan? broker, int count, string unit) =>
    broker is { } b ? $", fauxqs {b.TotalMilliseconds / count:F2} ms/{unit}" : "";

static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

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

    public sealed record PhaseResult(double Seconds, double Rate, double P50, double P99)
    {
        public static PhaseResult Of(int count, TimeSpan elapsed, Latencies latencies)
        {
            var sorted = latencies.Sorted();
            return new PhaseResult(elapsed.TotalSeconds, count / elapsed.TotalSeconds, sorted[sorted.Length / 2], sorted[(int)(sorted.Length * 0.99)]);
        }
    }

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

    /// <summary>The raw phase now running (warm-up, then measured), for the consumer.</summary>
    public sealed class LatenciesHolder
    {
        public Latencies Current { get; set; } = new(0);
    }

    public sealed class BenchConsumer(LatenciesHolder holder) : IConsumer<BenchMessage>
    {
        public Task Consume(ConsumeContext<BenchMessage> context)
        {
            holder.Current.Add(Stopwatch.GetElapsedTime(context.Message.SentTimestamp).TotalMilliseconds);
            return Task.CompletedTask;
        }
    }

    /// <summary>Statements submitted and not finished yet in the saga phase now running.</summary>
    public sealed class SagaPhase
    {
        private readonly ConcurrentDictionary<string, long> _submitted = new(StringComparer.Ordinal);
        private Latencies _latencies = new(0);
        private volatile string? _firstFailure;

        public string? FirstFailure => _firstFailure;

        public int Pending => _submitted.Count;

        public Latencies Start(int statements) => _latencies = new Latencies(statements);

        public void Submitted(string id) => _submitted[id] = Stopwatch.GetTimestamp();

        public void Finished(string id)
        {
            if (_submitted.TryRemove(id, out var at))
            {
                _latencies.Add(Stopwatch.GetElapsedTime(at).TotalMilliseconds);
            }
        }

        public void Failed(string description) => _firstFailure ??= description;
    }

    /// <summary>
    /// Messages the bus sends or publishes, by type (a publish counts once, not again as the send it
    /// becomes), and the messages its consumers, sagas and handlers consume, by type.
    /// </summary>
    public sealed class BusTraffic : ISendObserver, IPublishObserver, IConsumeObserver
    {
        private readonly ConcurrentDictionary<string, int> _byType = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _consumedByType = new(StringComparer.Ordinal);

        public int Total => _byType.Values.Sum();

        public int ConsumedTotal => _consumedByType.Values.Sum();

        public void Reset()
        {
            _byType.Clear();
            _consumedByType.Clear();
        }

        public IEnumerable<(string Type, int Count)> ByType() => _byType.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value));

        public IEnumerable<(string Type, int Count)> ConsumedByType() => _consumedByType.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value));

        public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class
        {
            _consumedByType.AddOrUpdate(typeof(T).Name, 1, (_, n) => n + 1);
            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;

        private void Count<T>(SendContext<T> context, string how)
            where T : class => _byType.AddOrUpdate(how + " " + typeof(T).Name, 1, (_, n) => n + 1);

        public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

        public Task PostPublish<T>(PublishContext<T> context) where T : class
        {
            Count(context, "publish");
            return Task.CompletedTask;
        }

        public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;

        public Task PreSend<T>(SendContext<T> context) where T : class => Task.CompletedTask;

        public Task PostSend<T>(SendContext<T> context) where T : class
        {
            if (context is not PublishContext)
            {
                Count(context, "send");
            }
            return Task.CompletedTask;
        }

        public Task SendFault<T>(SendContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }

    /// <summary>CPU time used since creation by this process and, when given, the broker's process.</summary>
    public sealed class CpuClock(Process? broker)
    {
        private readonly TimeSpan _own = Process.GetCurrentProcess().TotalProcessorTime;
        private readonly TimeSpan? _broker = Refresh(broker)?.TotalProcessorTime;

        public (TimeSpan Own, TimeSpan? Broker) Elapsed() =>
            (Process.GetCurrentProcess().TotalProcessorTime - _own, Refresh(broker)?.TotalProcessorTime - _broker);

        private static Process? Refresh(Process? process)
        {
            process?.Refresh();
            return process;
        }
    }
}
