using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Tests;

/// <summary>
/// The ingestion service as its own process (its Program), killed with SIGKILL in the middle of a
/// job and started again on the same data directory: the job resumes from its last checkpoint and
/// lands exactly the source's records, none skipped, none twice.
/// </summary>
public sealed class CrashResumeTests : IAsyncLifetime
{
    private readonly TestDirectories _directories = new();
    private TestApiServer _api = null!;

    public async Task InitializeAsync() => _api = await TestApiServer.StartAsync(3000);

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _directories.Dispose();
    }

    [Fact]
    public async Task Job_ServiceKilledMidJobAndRestarted_CompletesWithExactlyTheSourceRecords()
    {
        _api.PageDelay = TimeSpan.FromMilliseconds(60);
        var port = FreePort();
        Job beforeKill;
        using (var first = ServiceProcess.Start(_directories, port))
        {
            var client = await first.ConnectAsync();
            await client.CreateSourceAsync(new CreateSourceRequest
            {
                Name = "crashy",
                Definition = $"baseUrl: {_api.BaseUrl}\npath: /cursor/items\npagination: {{ type: cursor, cursorParam: cursor, cursorPath: next_cursor, sizeParam: limit, pageSize: 30 }}\nrecordsPath: data\nrateLimit: {{ requestsPerSecond: 0 }}\n",
            });
            var jobId = (await client.StartIngestionAsync(new StartIngestionRequest { Source = "crashy" })).JobId;
            using var watch = client.WatchJob(new WatchJobRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddMinutes(2));
            do
            {
                Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None), "the job ended before it could be killed");
                beforeKill = watch.ResponseStream.Current.Job;
            }
            while (beforeKill.Pages < 40);
            first.Kill();
        }
        Assert.True(beforeKill.Records < _api.Records.Count);
        Assert.NotEmpty(beforeKill.PartKeys); // Some parts were already in the store.

        using var second = ServiceProcess.Start(_directories, port);
        var resumed = await second.ConnectAsync();
        var final = (await Jobs.WatchToEndAsync(resumed, beforeKill.JobId))[^1];

        Assert.True(final.State == JobState.Succeeded, final.Error);
        Assert.Equal(_api.Records.Count, final.Records);
        Jobs.AssertExactly(_api.Records, Jobs.LandedLines(_directories.Objects, final));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>services/Sluice.Ingestion's own build, run with dotnet; killed by its PID only.</summary>
    private sealed class ServiceProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly GrpcChannel _channel;

        private ServiceProcess(Process process, int port)
        {
            _process = process;
            _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        }

        public static ServiceProcess Start(TestDirectories directories, int port)
        {
            var dll = Path.Combine(Path.GetDirectoryName(typeof(IngestionServiceHosting).Assembly.Location)!, "Sluice.Ingestion.dll");
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(dll);
            start.Environment["Sluice__Ingestion__GrpcPort"] = port.ToString();
            start.Environment["Sluice__Admin__Port"] = "-1";
            start.Environment["Sluice__Ingestion__DataDirectory"] = directories.Data;
            start.Environment["Sluice__Ingestion__PartBytes"] = "16384";
            start.Environment["Sluice__Ingestion__AwaitPipeline"] = "false";
            start.Environment["Sluice__ObjectStore__LocalRoot"] = directories.Objects;
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            var process = Process.Start(start)!;
            var service = new ServiceProcess(process, port);
            process.OutputDataReceived += (_, e) => { lock (service._output) { service._output.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (service._output) { service._output.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return service;
        }

        /// <summary>A client once the service answers (ListSources), within a generous bound.</summary>
        public async Task<IngestionService.IngestionServiceClient> ConnectAsync()
        {
            var client = new IngestionService.IngestionServiceClient(_channel);
            var until = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                try
                {
                    await client.ListSourcesAsync(new ListSourcesRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                    return client;
                }
                catch (RpcException) when (DateTime.UtcNow < until && !_process.HasExited)
                {
                    await Task.Delay(200);
                }
                catch (RpcException exception)
                {
                    string output;
                    lock (_output)
                    {
                        output = _output.ToString();
                    }
                    throw new InvalidOperationException($"The ingestion process did not serve ({exception.Status.Detail}); its output: {output}");
                }
            }
        }

        /// <summary>SIGKILL: no shutdown code runs.</summary>
        public void Kill()
        {
            _process.Kill();
            _process.WaitForExit(30_000);
        }

        public void Dispose()
        {
            _channel.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(30_000);
            }
            _process.Dispose();
        }
    }
}
