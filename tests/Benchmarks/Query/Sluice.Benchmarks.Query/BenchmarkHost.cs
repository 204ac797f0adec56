using System.Diagnostics;
using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Sluice.Query.V1;
using Sluice.ServiceDefaults;

namespace Sluice.Benchmarks.Query;

/// <summary>
/// The query service on one engine in a process of its own (this program run with <c>serve</c>), gRPC on a free loopback
/// port, and a client for it. As deployed, the service and its caller are separate processes: the client's garbage
/// collections do not pause the service, and each process's CPU is measured on its own.
/// </summary>
internal sealed class BenchmarkHost : IAsyncDisposable
{
    private const string ReadyLine = "sluice-query-benchmark listening on port ";

    private readonly Process _service;
    private readonly GrpcChannel _channel;
    private readonly Task _forwarding;

    private BenchmarkHost(Process service, int port, Task forwarding)
    {
        _service = service;
        _forwarding = forwarding;
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        Client = new QueryService.QueryServiceClient(_channel);
    }

    public QueryService.QueryServiceClient Client { get; }

    /// <summary>CPU seconds the service's process has used so far.</summary>
    public double ServiceCpuSeconds
    {
        get
        {
            _service.Refresh();
            return _service.TotalProcessorTime.TotalSeconds;
        }
    }

    /// <summary>Starts the service process with <paramref name="querySettings"/> (Sluice:Query:*) and waits until it listens.</summary>
    public static async Task<BenchmarkHost> StartAsync(IDictionary<string, string?> querySettings)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(BenchmarkHost).Assembly.Location);
        start.ArgumentList.Add("serve");
        foreach (var (key, value) in querySettings)
        {
            start.ArgumentList.Add(key + "=" + value);
        }
        var service = Process.Start(start)!;
        string? line;
        while ((line = await service.StandardOutput.ReadLineAsync()) is not null && !line.StartsWith(ReadyLine, StringComparison.Ordinal))
        {
            Console.WriteLine("  service: " + line);
        }
        if (line is null)
        {
            await service.WaitForExitAsync();
            throw new InvalidOperationException($"The service process exited {service.ExitCode} before listening.");
        }
        var port = int.Parse(line[ReadyLine.Length..], System.Globalization.CultureInfo.InvariantCulture);
        // The service's warnings (and the stream-reuse repair's log line) go on showing.
        var forwarding = Task.Run(async () =>
        {
            while (await service.StandardOutput.ReadLineAsync() is { } more)
            {
                Console.WriteLine("  service: " + more);
            }
        });
        return new BenchmarkHost(service, port, forwarding);
    }

    /// <summary>
    /// The <c>serve</c> side: runs the service with <paramref name="settings"/> (key=value, under Sluice:Query), announces
    /// its port on standard output, and stops when standard input closes (the benchmark ended or died).
    /// </summary>
    public static async Task ServeAsync(IEnumerable<string> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Shows when the Kestrel stream-reuse repair (Sluice.ServiceDefaults) saved a response.
        builder.Logging.AddFilter("Sluice.ServiceDefaults.KestrelStreamReuseRepair", LogLevel.Debug);
        var configuration = new Dictionary<string, string?>
        {
            ["Sluice:Query:DataApiPort"] = "-1",
            // The service defaults put Logging:LogLevel:Default = Information in configuration,
            // which outranks SetMinimumLevel: the level must be set there too.
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var setting in settings)
        {
            var (key, value) = setting.Split('=', 2) is [var k, var v] ? (k, v) : throw new ArgumentException($"'{setting}' is not key=value.");
            configuration["Sluice:Query:" + key] = value;
        }
        builder.Configuration.AddInMemoryCollection(configuration);
        ListenOptions? listener = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(IPAddress.Loopback, 0, configure: listen => listener = listen));
        Sluice.Query.QueryServiceHosting.AddQueryService(builder);
        builder.AddSluiceBus();
        await using var app = builder.Build();
        Sluice.Query.QueryServiceHosting.MapQueryService(app);
        await app.StartAsync();
        Console.WriteLine(ReadyLine + listener!.IPEndPoint!.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        _service.StandardInput.Close();
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await _service.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            _service.Kill(entireProcessTree: true);
            Console.WriteLine("  service: did not stop within a minute of being asked; killed.");
        }
        await _forwarding;
        _service.Dispose();
    }
}
