using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.SQS;

namespace Sluice.Transports.AmazonSqs.Tests;

/// <summary>
/// Starts a real fauxqs server (node deploy/s3/start-fauxqs.mjs --port 0) on 127.0.0.1 for the
/// tests that share it and stops it afterwards. fauxqs prints the address it bound.
/// </summary>
public sealed partial class FauxqsFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);
    private readonly StringBuilder _output = new();
    private Process? _process;

    public Uri ServiceUrl { get; private set; } = new("http://127.0.0.1/");

    public async Task InitializeAsync()
    {
        // Services take credentials from the AWS chain only; fauxqs checks no signature, so any will do.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID")))
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "test");
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "test");
        }
        var root = FindRepositoryRoot();
        var script = Path.Combine(root, "deploy", "s3", "start-fauxqs.mjs");
        if (!File.Exists(Path.Combine(root, "deploy", "node", "node_modules", "fauxqs", "package.json")))
        {
            throw new InvalidOperationException($"fauxqs is not installed: run 'bash deploy/install-deps.sh' (or 'npm ci --prefix deploy/node') in {root}.");
        }
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var startInfo = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { script, "--port", "0", "--host", "127.0.0.1", "--exit-with-stdin" })
        {
            startInfo.ArgumentList.Add(argument);
        }
        _process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) =>
        {
            Append(e.Data);
            if (e.Data is { } line && ListeningLine().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value + "/"));
            }
        };
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"fauxqs exited before listening. Its output:\n{Output}"));
        try
        {
            _process.Start();
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException("node (Node.js 20 or later) was not found on PATH; the SQS tests need it to run fauxqs.", exception);
        }
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        try
        {
            ServiceUrl = await listening.Task.WaitAsync(StartupTimeout);
        }
        catch (TimeoutException exception)
        {
            throw new InvalidOperationException($"fauxqs did not listen within {StartupTimeout.TotalSeconds} s. Its output:\n{Output}", exception);
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

    /// <summary>Host settings pointing at this fauxqs, under a scope of their own so tests never share queues.</summary>
    public SqsHostSettings HostSettings(string? scope = null) => new()
    {
        Region = "us-east-1",
        ServiceUrl = ServiceUrl,
        Credentials = new BasicAWSCredentials("test", "test"),
        Scope = scope ?? "t" + Guid.NewGuid().ToString("N")[..10],
        MaxReceiveCount = 5,
    };

    /// <summary>Service configuration selecting this transport on this fauxqs, with a scope of its own.</summary>
    public Dictionary<string, string?> BusConfiguration(string scope) => new()
    {
        ["Sluice:Broker:Transport"] = "AmazonSqs",
        ["Sluice:Broker:AmazonSqs:ServiceUrl"] = ServiceUrl.ToString(),
        ["Sluice:Broker:AmazonSqs:Region"] = "us-east-1",
        ["Sluice:Broker:AmazonSqs:Scope"] = scope,
    };

    /// <summary>A plain SQS client for looking at queues behind the transport's back.</summary>
    public AmazonSQSClient CreateSqsClient() =>
        new(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig { ServiceURL = ServiceUrl.ToString(), AuthenticationRegion = "us-east-1" });

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

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
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
        throw new InvalidOperationException($"Could not find deploy/s3/start-fauxqs.mjs above {AppContext.BaseDirectory}; run the tests from the Sluice repository.");
    }

    [GeneratedRegex(@"listening on (http://[^\s/]+)")]
    private static partial Regex ListeningLine();
}

[CollectionDefinition(Name)]
public sealed class FauxqsCollection : ICollectionFixture<FauxqsFixture>
{
    public const string Name = "fauxqs";
}
