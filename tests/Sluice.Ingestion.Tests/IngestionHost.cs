using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Ingestion.V1;
using Sluice.ServiceDefaults;

namespace Sluice.Ingestion.Tests;

/// <summary>The ingestion service hosted for real (Kestrel on a free loopback port, in-memory bus), called through the generated client.</summary>
public sealed class IngestionHost : IAsyncDisposable
{
    public static readonly Dictionary<string, string?> Secrets = new()
    {
        ["Sluice:Ingestion:Secrets:test-client-secret"] = TestApiServer.ClientSecret,
        ["Sluice:Ingestion:Secrets:test-api-key"] = TestApiServer.ApiKey,
    };

    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private IngestionHost(WebApplication app, string address)
    {
        _app = app;
        _channel = GrpcChannel.ForAddress(address);
        Client = new IngestionService.IngestionServiceClient(_channel);
    }

    public IngestionService.IngestionServiceClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<IngestionHost> StartAsync(TestDirectories directories, IReadOnlyDictionary<string, string?>? configuration = null,
        Action<WebApplicationBuilder>? addMore = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        var all = new Dictionary<string, string?>(Secrets)
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Sluice:Ingestion:DataDirectory"] = directories.Data,
            ["Sluice:Ingestion:AwaitPipeline"] = "false",
            ["Sluice:ObjectStore:Provider"] = "Local",
            ["Sluice:ObjectStore:LocalRoot"] = directories.Objects,
        };
        foreach (var (key, value) in configuration ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(all);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(IPAddress.Loopback, 0));
        builder.AddIngestionService();
        addMore?.Invoke(builder);
        builder.AddSluiceBus();
        var app = builder.Build();
        app.MapIngestionService();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new IngestionHost(app, address);
    }

    /// <summary>Settings that put the service's object store on an S3-compatible server (fauxqs), plus <paramref name="more"/>.</summary>
    public static Dictionary<string, string?> S3Settings(Sluice.ObjectStore.S3ObjectStoreOptions s3, IReadOnlyDictionary<string, string?> more)
    {
        var settings = new Dictionary<string, string?>(more)
        {
            ["Sluice:ObjectStore:Provider"] = "S3",
            ["Sluice:ObjectStore:S3:Bucket"] = s3.Bucket,
            ["Sluice:ObjectStore:S3:Prefix"] = s3.Prefix,
            ["Sluice:ObjectStore:S3:ServiceUrl"] = s3.ServiceUrl,
            ["Sluice:ObjectStore:S3:Region"] = s3.Region,
            ["Sluice:ObjectStore:S3:AccessKey"] = s3.AccessKey,
            ["Sluice:ObjectStore:S3:SecretKey"] = s3.SecretKey,
            ["Sluice:ObjectStore:S3:ForcePathStyle"] = "true",
        };
        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Waiting on jobs through WatchJob, and reading what they landed.</summary>
public static class Jobs
{
    /// <summary>Follows WatchJob to its end and returns every update seen.</summary>
    public static async Task<List<Job>> WatchToEndAsync(IngestionService.IngestionServiceClient client, string jobId, TimeSpan? timeout = null)
    {
        var updates = new List<Job>();
        using var call = client.WatchJob(new WatchJobRequest { JobId = jobId }, deadline: DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(2)));
        await foreach (var update in call.ResponseStream.ReadAllAsync())
        {
            updates.Add(update.Job);
        }
        return updates;
    }

    /// <summary>The landed lines of a job, part by part, in order.</summary>
    public static List<string> LandedLines(string objectsRoot, Job job)
    {
        var lines = new List<string>();
        foreach (var key in job.PartKeys)
        {
            lines.AddRange(File.ReadAllLines(Path.Combine(objectsRoot, key)));
        }
        return lines;
    }

    /// <summary>Checks that the landed lines are exactly the expected records, in order (count and SHA-256).</summary>
    public static void AssertExactly(IEnumerable<ApiRecord> expected, IReadOnlyList<string> landed)
    {
        var want = expected.Select(TestApiServer.Line).ToList();
        Assert.Equal(want.Count, landed.Count);
        Assert.Equal(Sha256(want), Sha256(landed));
    }

    public static string Sha256(IEnumerable<string> lines) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines))));
}
