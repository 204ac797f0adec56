using System.Diagnostics;
using System.Net.Sockets;

namespace Sluice.Query.Tests.Faults;

/// <summary>
/// A RabbitMQ node of the fault tests' own (its own node name, AMQP and distribution ports, and
/// database and log folders under a temporary folder), so that stopping it touches nobody else's
/// broker. Started from the RabbitMQ server script as a child process and stopped by its process
/// id (SIGTERM, which the script turns into a clean node stop); its queues and persistent messages
/// survive a restart.
/// </summary>
public sealed class PrivateRabbitMq : IAsyncLifetime
{
    private const string ServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sluice-faults-rabbitmq-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _nodeName = "sluice-faults-" + Guid.NewGuid().ToString("N")[..8];
    private int _port;
    private Process? _server;

    public string Uri => $"amqp://guest:guest@127.0.0.1:{_port}/";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ServerScript))
        {
            throw new InvalidOperationException($"RabbitMQ is not installed ({ServerScript} is missing): run deploy/install-deps.sh.");
        }
        Directory.CreateDirectory(Path.Combine(_directory, "home"));
        Directory.CreateDirectory(Path.Combine(_directory, "mnesia"));
        Directory.CreateDirectory(Path.Combine(_directory, "log"));
        // No plugins: the node needs only AMQP, and starts faster.
        await File.WriteAllTextAsync(Path.Combine(_directory, "enabled_plugins"), "[].");
        _port = LoopbackPorts.FreeBlock(2);
        await StartAsync();
    }

    /// <summary>Starts the node (again) and waits until it accepts connections.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(ServerScript) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var environment = start.Environment;
        environment["HOME"] = Path.Combine(_directory, "home");
        environment["RABBITMQ_NODENAME"] = _nodeName + "@localhost";
        environment["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
        environment["RABBITMQ_NODE_PORT"] = _port.ToString();
        environment["RABBITMQ_DIST_PORT"] = (_port + 1).ToString();
        environment["ERL_EPMD_ADDRESS"] = "127.0.0.1";
        environment["RABBITMQ_MNESIA_BASE"] = Path.Combine(_directory, "mnesia");
        environment["RABBITMQ_LOG_BASE"] = Path.Combine(_directory, "log");
        environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_directory, "enabled_plugins");
        environment["RABBITMQ_PID_FILE"] = Path.Combine(_directory, "node.pid");
        environment["RABBITMQ_CONFIG_FILE"] = Path.Combine(_directory, "none");
        environment["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(_directory, "none.config");
        environment["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}";
        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(StartTimeout);
        while (!await AcceptsConnectionsAsync())
        {
            if (_server.HasExited)
            {
                Assert.Fail($"The private RabbitMQ node exited ({_server.ExitCode}) while starting; see {Path.Combine(_directory, "log")}.");
            }
            Assert.False(timeout.IsCancellationRequested, $"The private RabbitMQ node did not accept connections on 127.0.0.1:{_port} within {StartTimeout.TotalSeconds} s.");
            await Task.Delay(200);
        }
    }

    /// <summary>Stops the node cleanly (SIGTERM to its server script) and waits until it has exited.</summary>
    public async Task StopAsync()
    {
        if (_server is not { HasExited: false } server)
        {
            return;
        }
        using (var term = Process.Start("kill", ["-TERM", server.Id.ToString()]))
        {
            await term.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await server.WaitForExitAsync(timeout.Token);
        server.Dispose();
        _server = null;
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleanup.
        }
    }

    private async Task<bool> AcceptsConnectionsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", _port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
