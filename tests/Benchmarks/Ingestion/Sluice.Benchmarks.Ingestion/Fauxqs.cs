using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Sluice.Benchmarks.Ingestion;

/// <summary>The S3-compatible server (fauxqs, node deploy/s3/start-fauxqs.mjs) on a free loopback port, with one bucket; stopped on dispose.</summary>
internal sealed class Fauxqs : IDisposable
{
    public const string Bucket = "sluice-ingestion-benchmark";

    private readonly Process _process;

    private Fauxqs(Process process, string serviceUrl)
    {
        _process = process;
        ServiceUrl = serviceUrl;
    }

    public string ServiceUrl { get; }

    public int ProcessId => _process.Id;

    public static async Task<Fauxqs> StartAsync()
    {
        var script = Path.Combine(FindRoot(), "deploy", "s3", "start-fauxqs.mjs");
        var process = Process.Start(new ProcessStartInfo("node", [script, "--port", "0", "--exit-with-stdin"])
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("node could not be started; the S3 phase needs Node.js 20 or later to run fauxqs.");
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))
            ?? throw new InvalidOperationException("fauxqs exited before listening; run 'npm ci --prefix deploy/node'.");
        var fauxqs = new Fauxqs(process, line[line.IndexOf("http", StringComparison.Ordinal)..]);
        // fauxqs checks no signatures, but the SDK's credential chain needs something to sign with.
        using var client = new AmazonS3Client(new BasicAWSCredentials("bench", "bench"),
            new AmazonS3Config { ServiceURL = fauxqs.ServiceUrl, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        await client.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });
        return fauxqs;
    }

    /// <summary>Ingestion service settings that land in this server's bucket.</summary>
    public Dictionary<string, string?> ObjectStoreSettings() => new()
    {
        ["Sluice:ObjectStore:Provider"] = "S3",
        ["Sluice:ObjectStore:S3:Bucket"] = Bucket,
        ["Sluice:ObjectStore:S3:Prefix"] = "bench-" + Guid.NewGuid().ToString("N"),
        ["Sluice:ObjectStore:S3:ServiceUrl"] = ServiceUrl,
        ["Sluice:ObjectStore:S3:Region"] = "us-east-1",
        ["Sluice:ObjectStore:S3:AccessKey"] = "bench",
        ["Sluice:ObjectStore:S3:SecretKey"] = "bench",
        ["Sluice:ObjectStore:S3:ForcePathStyle"] = "true",
    };

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        _process.Dispose();
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "deploy", "s3", "start-fauxqs.mjs")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("deploy/s3/start-fauxqs.mjs not found above the benchmark; run it from the Sluice repository.");
    }
}
