using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Sluice.Ingestion;
using Sluice.Ingestion.V1;
using Sluice.ServiceDefaults;

namespace Sluice.Benchmarks.Ingestion;

/// <summary>The ingestion service on a loopback port with its own data directory (deleted on dispose), called through its gRPC client.</summary>
internal sealed class IngestionHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;
    private readonly string _root;

    private IngestionHost(WebApplication app, string root)
    {
        _app = app;
        _root = root;
        Address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _channel = GrpcChannel.ForAddress(Address);
        Client = new IngestionService.IngestionServiceClient(_channel);
    }

    public string Address { get; }

    public IngestionService.IngestionServiceClient Client { get; }

    /// <summary>The service's object store, for putting the same bytes directly.</summary>
    public Sluice.ObjectStore.IObjectStore Objects => _app.Services.GetRequiredService<Sluice.ObjectStore.IObjectStore>();

    /// <summary>
    /// The landing floor: <paramref name="records"/> records of <paramref name="source"/>'s NDJSON
    /// put straight into the service's store, as parts of the service's default size (64 MiB) one
    /// after the other, with nothing fetched, parsed or spooled.
    /// </summary>
    public async Task<(long Records, long Bytes)> PutOnlyAsync(PagedSource source, long records)
    {
        const int PartBytes = 64 * 1024 * 1024;
        var line = source.NdjsonLine();
        var perPart = PartBytes / line.Length;
        var part = new byte[perPart * line.Length];
        for (var i = 0; i < perPart; i++)
        {
            line.CopyTo(part, i * line.Length);
        }
        long bytes = 0;
        for (long done = 0, index = 0; done < records; done += perPart, index++)
        {
            var count = (int)Math.Min(perPart, records - done);
            using var content = new MemoryStream(part, 0, count * line.Length, writable: false);
            await Objects.PutAsync($"floor/{Guid.NewGuid():N}/part-{index:D5}.ndjson", content, "application/x-ndjson");
            bytes += count * line.Length;
        }
        return (records, bytes);
    }

    /// <summary>Starts the service; without <paramref name="settings"/> naming another store, it lands in a local directory.</summary>
    public static async Task<IngestionHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "sluice-ingestion-benchmark", Guid.NewGuid().ToString("N"));
        var builder = WebApplication.CreateBuilder();
        var all = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Sluice:Ingestion:DataDirectory"] = Path.Combine(root, "data"),
            ["Sluice:Ingestion:AwaitPipeline"] = "false",
            ["Sluice:ObjectStore:LocalRoot"] = Path.Combine(root, "objects"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(all);
        builder.WebHost.ConfigureKestrel(k => k.ListenGrpc(IPAddress.Loopback, 0));
        builder.AddIngestionService();
        builder.AddSluiceBus();
        var app = builder.Build();
        app.MapIngestionService();
        await app.StartAsync();
        return new IngestionHost(app, root);
    }

    /// <summary>Defines a page-numbered source on <paramref name="baseUrl"/>, with no client-side rate limit.</summary>
    public async Task CreateSourceAsync(string name, string baseUrl, string path, int pageSize) =>
        await Client.CreateSourceAsync(new CreateSourceRequest
        {
            Name = name,
            Definition = $"baseUrl: {baseUrl}\npath: {path}\npagination: {{ type: pageNumber, pageParam: page, pageSize: {pageSize}, maxPages: 100000000 }}\nrateLimit: {{ requestsPerSecond: 0 }}\n",
        });

    /// <summary>Runs one job of <paramref name="source"/> to its end through StartIngestion and WatchJob; fails unless it landed <paramref name="expected"/> records.</summary>
    public async Task<(long Records, long Bytes)> IngestAsync(string source, long expected)
    {
        var jobId = (await Client.StartIngestionAsync(new StartIngestionRequest { Source = source })).JobId;
        Job job = null!;
        using var updates = Client.WatchJob(new WatchJobRequest { JobId = jobId });
        await foreach (var update in updates.ResponseStream.ReadAllAsync())
        {
            job = update.Job;
        }
        if (job.State != JobState.Succeeded || job.Records != expected)
        {
            throw new InvalidOperationException($"The job ended {job.State} with {job.Records} of {expected} records: {job.Error}");
        }
        return (job.Records, job.Bytes);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}
