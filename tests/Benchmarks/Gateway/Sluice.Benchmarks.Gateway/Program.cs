using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Gateway;
using Sluice.Gateway.Pipeline;
using Sluice.Gateway.V1;
using Sluice.ServiceDefaults;

// Usage: dotnet run -c Release [-- <seconds per run, default 10> <connections, default 32>]
var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
var connections = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 32;
const string Answer = """{"id":"42","kind":"dog","stage":"bench"}""";
const string Document = """
    openapi: 3.0.1
    info: { title: Bench, version: "1" }
    x-amazon-apigateway-request-validators:
      params: { validateRequestParameters: true, validateRequestBody: false }
    paths:
      /pets/{id}:
        get:
          security: [ { api_key: [] } ]
          parameters:
            - { name: id, in: path, required: true, schema: { type: string } }
            - { name: kind, in: query, required: true, schema: { type: string } }
          x-amazon-apigateway-request-validator: params
          x-amazon-apigateway-integration:
            type: mock
            requestTemplates:
              application/json: '{"statusCode": 200, "id": "$input.params(''id'')"}'
            responses:
              default:
                statusCode: "200"
                responseTemplates:
                  application/json: '{"id":"$input.params(''id'')","kind":"$input.params(''kind'')","stage":"$context.stage"}'
    components:
      securitySchemes:
        api_key: { type: apiKey, name: x-api-key, in: header }
    """;

var root = Path.Combine(Path.GetTempPath(), "sluice-gateway-bench", Guid.NewGuid().ToString("N"));
var gateway = StandaloneServiceHost.Build(
    ["--Sluice:Gateway:GrpcPort=0", "--Sluice:Gateway:RestPort=0", "--Sluice:Gateway:ManagementPort=-1", "--Sluice:Gateway:GrpcProxyPort=-1", "--Sluice:Admin:Port=-1", "--Sluice:Gateway:DataDirectory=" + root,
     "--Logging:LogLevel:Default=Warning", "--Sluice:Gateway:AccountThrottle:Rate=10000000", "--Sluice:Gateway:AccountThrottle:Burst=10000000"],
    "Gateway", 0, -1, builder => builder.AddGatewayService(), endpoints => endpoints.MapGatewayService());
await gateway.StartAsync();
var rest = gateway.Services.GetRequiredService<GatewayRestEndpoint>().BaseAddress!;
var grpcAddress = gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single(a => new Uri(a).Port != new Uri(rest).Port);
using var channel = GrpcChannel.ForAddress(grpcAddress);
var admin = new GatewayAdminService.GatewayAdminServiceClient(channel);
var api = (await admin.ImportApiAsync(new ImportApiRequest { Document = Document })).Api.Id;
await admin.CreateDeploymentAsync(new CreateDeploymentRequest { ApiId = api, StageName = "bench" });
var plan = (await admin.CreateUsagePlanAsync(new CreateUsagePlanRequest
{
    Name = "bench",
    Throttle = new ThrottleSettings { RateLimit = 10_000_000, BurstLimit = 10_000_000 },
    ApiStages = { new ApiStage { ApiId = api, Stage = "bench" } },
})).Plan.Id;
var key = await admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "bench", Enabled = true });
await admin.CreateUsagePlanKeyAsync(new CreateUsagePlanKeyRequest { UsagePlanId = plan, KeyId = key.Key.Id });

// The bare endpoint: Kestrel answering the same bytes, same logging settings.
var bareBuilder = WebApplication.CreateSlimBuilder();
bareBuilder.Logging.ClearProviders();
bareBuilder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1AndHttp2));
var bare = bareBuilder.Build();
var bytes = Encoding.UTF8.GetBytes(Answer);
bare.MapGet("/bench/pets/{id}", (HttpContext http) =>
{
    http.Response.ContentType = "application/json";
    http.Response.ContentLength = bytes.Length;
    return http.Response.Body.WriteAsync(bytes).AsTask();
});
await bare.StartAsync();
var bareAddress = bare.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

var gatewayUrl = $"{rest}/{api}/bench/pets/42?kind=dog";
using (var check = new HttpClient())
{
    check.DefaultRequestHeaders.Add("x-api-key", key.Value);
    var body = await check.GetStringAsync(gatewayUrl);
    if (body != Answer)
    {
        throw new InvalidOperationException($"The gateway answers {body}, not {Answer}.");
    }
}

Console.WriteLine($"wrk -t2 -c{connections} -d{seconds}s, HTTP/1.1 keep-alive, {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
var direct = Wrk($"{bareAddress}/bench/pets/42?kind=dog", null, seconds, connections);
// SLUICE_BENCH_ALLOCATIONS=1: which types the gateway run allocates, from the runtime's sampled allocation events.
using var allocations = Environment.GetEnvironmentVariable("SLUICE_BENCH_ALLOCATIONS") == "1" ? new AllocationSampler() : null;
var through = Wrk(gatewayUrl, key.Value, seconds, connections);
allocations?.Print(25);
Console.WriteLine($"{"",-10} {"req/s",10} {"p50 ms",8} {"p99 ms",8} {"server CPU us/req",18} {"alloc B/req",12}");
Console.WriteLine($"{"direct",-10} {direct.Rps,10:F0} {direct.P50,8:F3} {direct.P99,8:F3} {direct.CpuMicros,18:F1} {direct.AllocatedBytes,12:F0}");
Console.WriteLine($"{"gateway",-10} {through.Rps,10:F0} {through.P50,8:F3} {through.P99,8:F3} {through.CpuMicros,18:F1} {through.AllocatedBytes,12:F0}");
Console.WriteLine($"throughput ratio {through.Rps / direct.Rps:F2} (goal >= 0.7), p50 overhead {through.P50 - direct.P50:F3} ms (goal < 0.3)");

// With 32 connections the latencies are mostly queueing (p50 is about connections / throughput);
// one connection shows what the gateway adds to a single request.
var directAlone = Wrk($"{bareAddress}/bench/pets/42?kind=dog", null, seconds, 1);
var throughAlone = Wrk(gatewayUrl, key.Value, seconds, 1);
Console.WriteLine($"one connection: direct p50 {directAlone.P50:F3} ms p99 {directAlone.P99:F3} ms, gateway p50 {throughAlone.P50:F3} ms p99 {throughAlone.P99:F3} ms, p50 overhead {throughAlone.P50 - directAlone.P50:F3} ms");

await bare.StopAsync();
await gateway.StopAsync();
Directory.Delete(root, recursive: true);

// Server CPU and allocated bytes per request (this process's, over the requests wrk completed)
// are reported beside throughput: allocation is exact and CPU steadier than req/s when other work
// shares the machine.
static (double Rps, double P50, double P99, double CpuMicros, double AllocatedBytes) Wrk(string url, string? key, int seconds, int connections)
{
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var argument in new[] { connections > 1 ? "-t2" : "-t1", $"-c{connections}", $"-d{seconds}s", "--latency" })
    {
        start.ArgumentList.Add(argument);
    }
    if (key is not null)
    {
        start.ArgumentList.Add("-H");
        start.ArgumentList.Add("x-api-key: " + key);
    }
    start.ArgumentList.Add(url);
    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0 || output.Contains("Non-2xx", StringComparison.Ordinal))
    {
        throw new InvalidOperationException("wrk failed or saw errors:\n" + output + process.StandardError.ReadToEnd());
    }
    var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
    var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
    var rps = double.Parse(Regex.Match(output, @"Requests/sec:\s+([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
    var requests = double.Parse(Regex.Match(output, @"(\d+) requests in").Groups[1].Value, CultureInfo.InvariantCulture);
    return (rps, Millis(output, "50%"), Millis(output, "99%"), cpu.TotalMicroseconds / requests, allocated / requests);
}

static double Millis(string output, string percentile)
{
    var match = Regex.Match(output, Regex.Escape(percentile) + @"\s+([\d.]+)(us|ms|s)");
    var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
}

/// <summary>
/// Sums the runtime's AllocationTick events (one per ~100 KB allocated, naming the type that crossed
/// the mark) by type: a sampled view of what a run allocates.
/// </summary>
internal sealed class AllocationSampler : System.Diagnostics.Tracing.EventListener
{
    private readonly Dictionary<string, long> _bytes = [];

    public void Print(int top)
    {
        lock (_bytes)
        {
            var total = Math.Max(1, _bytes.Values.Sum());
            foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(top))
            {
                Console.WriteLine($"{bytes * 100.0 / total,6:F1}%  {type}");
            }
        }
    }

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs data)
    {
        if (data.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || data.PayloadNames is not { } names)
        {
            return;
        }
        var type = data.Payload![names.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(data.Payload[names.IndexOf("AllocationAmount")], CultureInfo.InvariantCulture);
        lock (_bytes)
        {
            _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
        }
    }
}
