using System.Diagnostics;
using Amazon.Runtime;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Benchmarks.Broker;
using Sluice.Transports.AmazonSqs;

// Raw send -> consume: N messages sent by 16 concurrent senders to one queue, each stamped at
// send; the consumer records the latency. Reports messages/s and p50/p99 latency per transport.
var count = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2000;
var root = FindRoot();
using var fauxqs = Process.Start(new ProcessStartInfo("node", [Path.Combine(root, "deploy/s3/start-fauxqs.mjs"), "--port", "0", "--exit-with-stdin"])
{
    RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false,
})!;
var line = await fauxqs.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("fauxqs did not start");
var url = new Uri(line[(line.IndexOf("http", StringComparison.Ordinal))..] + "/");
try
{
    await RunAsync("sqs (fauxqs)", x => x.UsingSluiceAmazonSqs((c, cfg) =>
    {
        cfg.Host(new SqsHostSettings { ServiceUrl = url, Credentials = new BasicAWSCredentials("b", "b"), Scope = "bench" + Environment.ProcessId });
        cfg.ConfigureEndpoints(c);
    }));
    if (Environment.GetEnvironmentVariable("SLUICE_TEST_RABBITMQ") is { Length: > 0 } rabbit)
    {
        await RunAsync("rabbitmq", x => x.UsingRabbitMq((c, cfg) =>
        {
            cfg.Host(new Uri(rabbit));
            cfg.ConfigureEndpoints(c);
        }));
    }
}
finally
{
    fauxqs.Kill();
}

async Task RunAsync(string name, Action<IBusRegistrationConfigurator> transport)
{
    var latencies = new Latencies(count);
    var services = new ServiceCollection().AddSingleton(latencies);
    services.AddMassTransit(x =>
    {
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
        Console.WriteLine($"{name}: {count} messages in {elapsed.TotalSeconds:F2} s = {count / elapsed.TotalSeconds:F0} msg/s; " +
            $"send->consume p50 {sorted[sorted.Length / 2]:F1} ms, p99 {sorted[(int)(sorted.Length * 0.99)]:F1} ms");
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
