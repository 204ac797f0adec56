using System.Diagnostics;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Sluice.Query.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Sluice.Host.Tests;

/// <summary>
/// deploy/local/sluice-local.sh, run as a user runs it: the durable profile (RabbitMQ, PostgreSQL,
/// fauxqs as S3) with every service in its own process, then stopped by PID.
/// </summary>
public sealed class LocalDeploymentTests
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task StartThenStop_EveryServiceItsOwnProcess_WorkingTogetherThenGone()
    {
        var state = Path.Combine(Path.GetTempPath(), "sluice-local-test", Guid.NewGuid().ToString("N"));
        var portBase = FreePortBase();
        var environment = new Dictionary<string, string>
        {
            ["SLUICE_LOCAL_STATE"] = state,
            ["SLUICE_LOCAL_PORT_BASE"] = portBase.ToString(),
            ["SLUICE_LOCAL_VHOST"] = "sluice-local-test",
            ["SLUICE_LOCAL_DATABASE"] = "sluice_local_test",
            // The services as this test run built them.
            ["SLUICE_LOCAL_SKIP_BUILD"] = "1",
            ["SLUICE_LOCAL_CONFIGURATION"] = BuildConfiguration(),
        };
        try
        {
            var start = await RunScriptAsync("start", environment);
            Assert.True(start.ExitCode == 0, $"start exited {start.ExitCode}: {start.Output}");
            var pids = new[] { "Query", "Validation", "Ingestion", "Gateway" }
                .ToDictionary(name => name, name => int.Parse(File.ReadAllText(Path.Combine(state, $"{name}.pid")).Trim()));
            Assert.Equal(4, pids.Values.Distinct().Count());

            // The query service runs SQL on PostgreSQL.
            using (var query = GrpcChannel.ForAddress($"http://127.0.0.1:{portBase + 2}"))
            {
                var client = new QueryService.QueryServiceClient(query);
                var accepted = await client.ExecuteStatementAsync(new ExecuteStatementRequest { Database = "sluice_local_test", Sql = "SELECT 40 + 2 AS answer" });
                var described = await WaitUntilEndedAsync(client, accepted.Id);
                Assert.True(described.Status == StatementStatus.Finished, $"{described.Status}: {described.Error}");
                var result = await client.GetStatementResultAsync(new GetStatementResultRequest { Id = accepted.Id });
                Assert.Equal(42, Assert.Single(Assert.Single(result.Records).Fields).LongValue);
            }
            // Validation reaches the broker and S3; the gateway reaches both of its backends.
            Assert.Equal(ServingStatus.Serving, await HealthAsync(portBase + 3, "sluice.validation.v1.ValidationService"));
            Assert.Equal(ServingStatus.Serving, await HealthAsync(portBase, ""));

            var stop = await RunScriptAsync("stop", environment);
            Assert.True(stop.ExitCode == 0, $"stop exited {stop.ExitCode}: {stop.Output}");
            foreach (var (name, pid) in pids)
            {
                Assert.False(IsRunning(pid), $"{name} (pid {pid}) still runs after stop");
            }
            Assert.False(File.Exists(Path.Combine(state, "Query.pid")));
        }
        catch (Exception failure) when (failure is not TimeoutException)
        {
            throw new InvalidOperationException($"{failure.Message}\n{ServiceLogs(state)}", failure);
        }
        finally
        {
            // Whatever happened above, nothing this test started outlives it.
            await RunScriptAsync("stop", environment);
            try
            {
                Directory.Delete(state, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task Start_ServiceNotBuilt_FailsNamingItAndStopsWhatItStarted()
    {
        var state = Path.Combine(Path.GetTempPath(), "sluice-local-test", Guid.NewGuid().ToString("N"));
        var environment = new Dictionary<string, string>
        {
            ["SLUICE_LOCAL_STATE"] = state,
            ["SLUICE_LOCAL_PORT_BASE"] = FreePortBase().ToString(),
            ["SLUICE_LOCAL_VHOST"] = "sluice-local-test",
            ["SLUICE_LOCAL_DATABASE"] = "sluice_local_test",
            ["SLUICE_LOCAL_SKIP_BUILD"] = "1",
            ["SLUICE_LOCAL_CONFIGURATION"] = "NotBuilt",
        };
        try
        {
            var start = await RunScriptAsync("start", environment);

            Assert.Equal(1, start.ExitCode);
            Assert.Contains("Query is not built", start.Output);
            var status = await RunScriptAsync("status", environment);
            Assert.Contains("fauxqs stopped", status.Output);
            Assert.DoesNotContain("running", status.Output);
        }
        finally
        {
            await RunScriptAsync("stop", environment);
            Directory.Delete(state, recursive: true);
        }
    }

    [Theory]
    [InlineData("start", "SLUICE_LOCAL_PORT_BASE", "80", "1024-65400")]
    [InlineData("start", "SLUICE_LOCAL_VHOST", "a/b", "letters, digits")]
    [InlineData("restart", null, null, "usage")]
    public async Task BadInvocation_RefusedWithItsReason(string command, string? variable, string? value, string reason)
    {
        var environment = new Dictionary<string, string> { ["SLUICE_LOCAL_STATE"] = Path.Combine(Path.GetTempPath(), "sluice-local-test", "refused") };
        if (variable is not null)
        {
            environment[variable] = value!;
        }

        var run = await RunScriptAsync(command, environment);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(reason, run.Output);
    }

    private static async Task<DescribeStatementResponse> WaitUntilEndedAsync(QueryService.QueryServiceClient client, string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var described = await client.DescribeStatementAsync(new DescribeStatementRequest { Id = id });
            if (described.Status is StatementStatus.Finished or StatementStatus.Failed or StatementStatus.Aborted || DateTime.UtcNow > deadline)
            {
                return described;
            }
            await Task.Delay(100);
        }
    }

    private static async Task<ServingStatus> HealthAsync(int port, string service)
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        var health = new Health.HealthClient(channel);
        // Checks answered before the first publish after a backend came up may still say NotServing.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        ServingStatus status;
        do
        {
            status = (await health.CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(20))).Status;
        }
        while (status != ServingStatus.Serving && DateTime.UtcNow < deadline && await Delay());
        return status;

        static async Task<bool> Delay()
        {
            await Task.Delay(500);
            return true;
        }
    }

    /// <summary>The end of every log the script wrote, for a failure message.</summary>
    private static string ServiceLogs(string state)
    {
        var logs = Path.Combine(state, "logs");
        if (!Directory.Exists(logs))
        {
            return "(no logs)";
        }
        return string.Join("\n", Directory.GetFiles(logs).Order().Select(file =>
            $"--- {Path.GetFileName(file)} ---\n{string.Join("\n", File.ReadLines(file).TakeLast(15))}"));
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// A base with its gRPC, admin, Data API and S3 ports all free right now, below the ephemeral
    /// range: a port in it that is free now can be taken by any outgoing connection (the services'
    /// own to PostgreSQL and RabbitMQ among them) before the service binds it.
    /// </summary>
    private static int FreePortBase() => LoopbackPorts.FreeBase(100, [-20, 0, 1, 2, 3, 66, 80, 90, 91, 92, 93]);

    /// <summary>Release or Debug: the configuration this test assembly (and so the services) was built in.</summary>
    private static string BuildConfiguration() =>
        new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent?.Name is { Length: > 0 } name ? name : "Release";

    private static async Task<(int ExitCode, string Output)> RunScriptAsync(string command, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(PeerProcess.RepoRoot, "deploy", "local", "sluice-local.sh"));
        start.ArgumentList.Add(command);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timer = new CancellationTokenSource(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(timer.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"sluice-local.sh {command} did not finish in {ScriptTimeout.TotalMinutes} min: {await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
