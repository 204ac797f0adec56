using System.Diagnostics;
using System.Net;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Sluice.Ingestion;
using Sluice.Ingestion.V1;
using Sluice.ServiceDefaults;

// Ingests N records of about 1 KB from a local paged server into the local object store, and
// compares the rate with merely fetching the same pages with an HttpClient that discards them
// (the source's own limit). Usage: dotnet run -c Release -- [records=1000000] [pageSize=1000]
// The push-stream mode (PushStreamBenchmark.cs): dotnet run -c Release -- push [records=200000] [batch=500] [shards=4]
if (args is ["push", ..])
{
    await Sluice.Benchmarks.Ingestion.PushStreamBenchmark.RunAsync(args[1..]);
    return;
}
var records = args.Length > 0 ? int.Parse(args[0]) : 1_000_000;
var pageSize = args.Length > 1 ? int.Parse(args[1]) : 1000;
var pageCount = (records + pageSize - 1) / pageSize;

// Pages are built once, so the server costs the same in both runs.
var filler = new string('x', 900);
var pages = new byte[pageCount][];
for (var p = 0; p < pageCount; p++)
{
    var text = new StringBuilder("[");
    for (var i = p * pageSize; i < Math.Min(records, (p + 1) * pageSize); i++)
    {
        text.Append(i == p * pageSize ? "" : ",").Append("{\"id\":").Append(i).Append(",\"name\":\"record-").Append(i).Append("\",\"amount\":").Append(i * 0.5).Append(",\"payload\":\"").Append(filler).Append("\"}");
    }
    pages[p] = Encoding.UTF8.GetBytes(text.Append(']').ToString());
}
var source = WebApplication.CreateSlimBuilder();
source.Logging.ClearProviders();
source.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
var server = source.Build();
server.MapGet("/items", (int page) => page >= 1 && page <= pageCount ? Results.Bytes(pages[page - 1], "application/json") : Results.Bytes("[]"u8.ToArray(), "application/json"));
await server.StartAsync();
var baseUrl = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
Console.WriteLine($"{records:N0} records of ~1 KB in {pageCount:N0} pages of {pageSize}; source at {baseUrl}");

// 1. The source's own limit: fetch every page in order and discard it.
using (var http = new HttpClient())
{
    var watch = Stopwatch.StartNew();
    long bytes = 0;
    for (var p = 1; p <= pageCount + 1; p++)
    {
        bytes += (await http.GetByteArrayAsync($"{baseUrl}/items?page={p}")).Length;
    }
    watch.Stop();
    Report("fetch and discard", records, bytes, watch.Elapsed, out var fetchRate);

    // 2. Ingestion into the local object store.
    var root = Path.Combine(Path.GetTempPath(), "sluice-ingestion-benchmark", Guid.NewGuid().ToString("N"));
    var builder = WebApplication.CreateBuilder();
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Warning",
        ["Sluice:Ingestion:DataDirectory"] = Path.Combine(root, "data"),
        ["Sluice:Ingestion:AwaitPipeline"] = "false",
        ["Sluice:ObjectStore:LocalRoot"] = Path.Combine(root, "objects"),
    });
    builder.WebHost.ConfigureKestrel(k => k.ListenGrpc(IPAddress.Loopback, 0));
    builder.AddIngestionService();
    builder.AddSluiceBus();
    var app = builder.Build();
    app.MapIngestionService();
    await app.StartAsync();
    try
    {
        using var channel = GrpcChannel.ForAddress(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        var client = new IngestionService.IngestionServiceClient(channel);
        await client.CreateSourceAsync(new CreateSourceRequest
        {
            Name = "bench",
            Definition = $"baseUrl: {baseUrl}\npath: /items\npagination: {{ type: pageNumber, pageParam: page, pageSize: {pageSize} }}\nrateLimit: {{ requestsPerSecond: 0 }}\n",
        });
        watch.Restart();
        var jobId = (await client.StartIngestionAsync(new StartIngestionRequest { Source = "bench" })).JobId;
        Job job = null!;
        using var updates = client.WatchJob(new WatchJobRequest { JobId = jobId });
        await foreach (var update in updates.ResponseStream.ReadAllAsync())
        {
            job = update.Job;
        }
        watch.Stop();
        if (job.State != JobState.Succeeded || job.Records != records)
        {
            throw new InvalidOperationException($"The job ended {job.State} with {job.Records} records: {job.Error}");
        }
        Report("ingest to local store", records, job.Bytes, watch.Elapsed, out var ingestRate);
        Console.WriteLine($"ratio ingest / fetch: {ingestRate / fetchRate:0.00}x (goal: at least 0.8x)");
    }
    finally
    {
        await app.StopAsync();
        Directory.Delete(root, recursive: true);
    }
}
await server.StopAsync();

static void Report(string what, long records, long bytes, TimeSpan elapsed, out double rate)
{
    rate = records / elapsed.TotalSeconds;
    Console.WriteLine($"{what,-24} {elapsed.TotalSeconds,8:0.00} s  {rate,12:N0} records/s  {bytes / elapsed.TotalSeconds / 1048576,8:0.0} MiB/s");
}
