using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Sluice.ObjectStore.Tests.Infrastructure;

/// <summary>
/// Starts a real fauxqs S3 server (node deploy/s3/start-fauxqs.mjs) on a free 127.0.0.1 port for
/// the tests that share it, creates the test bucket, and stops the process afterwards. A missing
/// node or fauxqs fails every test that uses it, with a message saying what to install.
/// </summary>
public sealed class FauxqsFixture : IAsyncLifetime
{
    public const string Bucket = "sluice-object-store-tests";
    public const string AccessKey = "test";
    public const string SecretKey = "test";

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);
    private const int StartAttempts = 3;

    private readonly StringBuilder _output = new();
    private Process? _process;

    public string ServiceUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        string repositoryRoot = FindRepositoryRoot();
        string script = Path.Combine(repositoryRoot, "deploy", "s3", "start-fauxqs.mjs");
        string fauxqsPackage = Path.Combine(repositoryRoot, "deploy", "node", "node_modules", "fauxqs", "package.json");
        if (!File.Exists(fauxqsPackage))
        {
            throw new InvalidOperationException(
                $"fauxqs is not installed ({fauxqsPackage} is missing): run 'npm ci --prefix deploy/node' in {repositoryRoot}. The S3 tests need it.");
        }

        string node = FindOnPath("node")
            ?? throw new InvalidOperationException("node (Node.js 20 or later) was not found on PATH. The S3 tests need it to run fauxqs.");

        // A free port can be taken by another process before fauxqs binds it; try a fresh one then.
        for (int attempt = 1; ; attempt++)
        {
            int port = FindFreePort();
            ServiceUrl = $"http://127.0.0.1:{port}";
            _process = StartServer(node, script, port, repositoryRoot);
            try
            {
                await WaitUntilReadyAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < StartAttempts && _process.HasExited)
            {
                _process.Dispose();
            }
        }
    }

    public Task DisposeAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }

            process.Dispose();
        }

        return Task.CompletedTask;
    }

    /// <summary>A client for inspecting the bucket directly, bypassing the store.</summary>
    public AmazonS3Client CreateClient(int maxErrorRetry = 2) =>
        new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
        {
            ServiceURL = ServiceUrl,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = maxErrorRetry,
        });

    /// <summary>Options for a store in the test bucket under its own prefix, so each test sees an empty store.</summary>
    public S3ObjectStoreOptions CreateOptions(string? prefix = null, int listPageSize = 1000) => new()
    {
        Bucket = Bucket,
        Prefix = prefix ?? $"tests/{Guid.NewGuid():N}",
        ServiceUrl = ServiceUrl,
        Region = "us-east-1",
        AccessKey = AccessKey,
        SecretKey = SecretKey,
        ForcePathStyle = true,
        ListPageSize = listPageSize,

        // The smallest S3 allows, so that multi-megabyte test objects go through multipart uploads.
        PartSize = S3ObjectStoreOptions.MinPartSize,
    };

    private Process StartServer(string node, string script, int port, string workingDirectory)
    {
        var startInfo = new ProcessStartInfo(node)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add(script);
        startInfo.ArgumentList.Add("--port");
        startInfo.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        startInfo.ArgumentList.Add("--host");
        startInfo.ArgumentList.Add("127.0.0.1");

        // If this test host dies without disposing the fixture, the closed pipe stops the server.
        startInfo.ArgumentList.Add("--exit-with-stdin");

        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => AppendOutput(e.Data);
        process.ErrorDataReceived += (_, e) => AppendOutput(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitUntilReadyAsync()
    {
        using AmazonS3Client client = CreateClient(maxErrorRetry: 0);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"fauxqs exited with code {_process.ExitCode} before it was ready. Its output:\n{Output}");
            }

            try
            {
                // Creating the bucket doubles as the readiness probe.
                await client.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });
                return;
            }
            catch (Exception exception) when (exception is HttpRequestException or AmazonServiceException or AmazonClientException or IOException && deadline.Elapsed < StartupTimeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }
            catch (Exception exception) when (exception is HttpRequestException or AmazonServiceException or AmazonClientException or IOException)
            {
                throw new InvalidOperationException(
                    $"fauxqs did not accept requests at {ServiceUrl} within {StartupTimeout.TotalSeconds} s. Its output:\n{Output}", exception);
            }
        }
    }

    private string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void AppendOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FindFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindOnPath(string program)
    {
        string[] names = OperatingSystem.IsWindows() ? [program + ".exe", program + ".cmd"] : [program];
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string name in names)
            {
                string candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "deploy", "s3", "start-fauxqs.mjs")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException(
            $"Could not find deploy/s3/start-fauxqs.mjs in any parent of {AppContext.BaseDirectory}; run the tests from the Sluice repository.");
    }
}

[CollectionDefinition(Name)]
public sealed class FauxqsCollection : ICollectionFixture<FauxqsFixture>
{
    public const string Name = "fauxqs";
}
