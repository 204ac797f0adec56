using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Tests;

/// <summary>services/Sluice.Ingestion's own build, run with dotnet as its own process; killed by its PID only.</summary>
internal sealed class ServiceProcess : IDisposable
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly GrpcChannel _channel;

    private ServiceProcess(Process process, int port)
    {
        _process = process;
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
    }

    public static ServiceProcess Start(TestDirectories directories, int port, IReadOnlyDictionary<string, string>? environment = null)
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
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
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
